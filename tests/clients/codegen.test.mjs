// GraphQL Code Generator (typescript + typescript-operations, codegen-config.mjs
// as docs/clients.md shows it) on the committed schema.graphql and the README's operations, then
// `tsc --strict` on what it generated plus a typed use of it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

import { generate } from '@graphql-codegen/cli';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';

import { generates } from './codegen-config.mjs';
import { GATEWAY_URL, HEADERS, ROOT, graphqlBlocks } from './support.mjs';

const here = import.meta.dirname;
const SCHEMA = resolve(ROOT, 'schema.graphql');
const work = mkdtempSync(join(tmpdir(), 'gateway-codegen-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('codegen: the served schema is schema.graphql', async () => {
  const response = await fetch(GATEWAY_URL, {
    method: 'POST',
    headers: { ...HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true }) }),
  });
  const { data, errors } = await response.json();
  assert.equal(errors, undefined, JSON.stringify(errors));
  const served = printSchema(lexicographicSortSchema(buildClientSchema(data)));
  const committed = printSchema(lexicographicSortSchema(buildSchema(readFileSync(SCHEMA, 'utf8'))));
  assert.equal(served, committed);
});

test('codegen: DateTime and JSON say what they are (@specifiedBy)', () => {
  const schema = buildSchema(readFileSync(SCHEMA, 'utf8'));
  for (const name of ['DateTime', 'JSON']) {
    const url = schema.getType(name)?.specifiedByURL;
    assert.match(url ?? '', /^https:\/\//, `${name} has no @specifiedBy(url: ...)`);
  }
});

test('codegen: typescript + typescript-operations on the README operations, then tsc --strict', async () => {
  const documents = join(work, 'documents');
  mkdirSync(documents);
  const blocks = graphqlBlocks(readFileSync(resolve(ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.length > 0, 'the README has ```graphql blocks');
  blocks.forEach((block, index) => writeFileSync(join(documents, `readme-${index}.graphql`), block));

  const outputs = await generate(
    {
      cwd: here, // where the plugins are installed
      schema: SCHEMA,
      documents: join(documents, '*.graphql'),
      generates: generates(work),
      silent: true,
      errorsOnly: true,
    },
    false,
  );
  for (const { filename, content } of outputs) writeFileSync(filename, content);
  assert.deepEqual(outputs.map(({ filename }) => basename(filename)).sort(), ['operations.ts', 'schema.ts']);
  assert.match(readFileSync(join(work, 'operations.ts'), 'utf8'), /export type WalletQuery = /);
  copyFileSync(join(here, 'codegen-usage.ts'), join(work, 'usage.ts'));

  const tsc = resolve(here, 'node_modules/typescript/bin/tsc');
  const args = ['--strict', '--noEmit', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler'];
  const compiled = await promisify(execFile)(process.execPath, [tsc, ...args, 'schema.ts', 'operations.ts', 'usage.ts'], {
    cwd: work,
  }).then(
    () => '',
    (error) => `${error.stdout}${error.stderr}`,
  );
  assert.equal(compiled, '', `tsc --strict failed:\n${compiled}`);
});
