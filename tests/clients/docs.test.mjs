// docs/clients.md shows the cache and codegen configuration the tests use,
// verbatim: each file is one of the page's ```js blocks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { ROOT } from './support.mjs';

function jsBlocks(markdown) {
  return [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

for (const file of ['cache-config.mjs', 'codegen-config.mjs']) {
  test(`docs/clients.md shows ${file} as it is`, () => {
    const page = readFileSync(resolve(ROOT, 'docs/clients.md'), 'utf8');
    const text = readFileSync(resolve(import.meta.dirname, file), 'utf8');
    assert.ok(jsBlocks(page).includes(text), `docs/clients.md has no \`\`\`js block equal to tests/clients/${file}`);
  });
}
