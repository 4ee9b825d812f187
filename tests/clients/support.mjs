// What the client tests share: where the gateways are, the sandbox's
// credential, the README's operations, a fetch that records what a client
// sends, and a watch on the console for the warnings clients print.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from 'node:util';
import { parse, print } from 'graphql';

export const ROOT = resolve(import.meta.dirname, '../..');
export const GATEWAY_URL = required('GATEWAY_URL');
export const PRODUCTION_GATEWAY_URL = required('PRODUCTION_GATEWAY_URL');

// The sandbox's demo credential (docs/sandbox.md), as a front end would send its user's.
export const AUTHORIZATION = `Basic ${Buffer.from('demo:sandbox').toString('base64')}`;
export const HEADERS = { authorization: AUTHORIZATION };

// The README's customer: mobile 919456430850, holding 100 promotions.
export const WALLET_VARIABLES = { mobile: '919456430850' };

// The same customer and filter as the README's Wallet, other fields: a badge
// showing how many promotions wait and when the next one ends. (Plain text: each
// client parses it with its own `gql`.)
export const WALLET_BADGE = `
  query WalletBadge($mobile: String!) {
    customer(identifierType: MOBILE, identifierValue: $mobile) {
      id
      promotions(status: AVAILABLE_TO_REDEEM, first: 20) {
        totalCount
        nodes { id name endDate usage { points } }
      }
    }
  }
`;

// Page by page through both connections, with edges as relay pagination keeps them.
export const WALLET_PAGES = `
  query WalletPages($mobile: String!, $after: String) {
    customer(identifierType: MOBILE, identifierValue: $mobile) {
      id
      promotions(status: AVAILABLE_TO_REDEEM, first: 30, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id name } }
      }
    }
  }
`;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the client tests through \`make test-clients\``);
  return value;
}

/** The ```graphql blocks of a Markdown text. */
export function graphqlBlocks(markdown) {
  const blocks = [];
  let current = null;
  for (const line of markdown.split('\n')) {
    const stripped = line.trim();
    if (current === null) {
      if (stripped === '```graphql') current = [];
    } else if (stripped === '```') {
      blocks.push(current.join('\n'));
      current = null;
    } else {
      current.push(line);
    }
  }
  return blocks;
}

/** The README's GraphQL examples, each operation by name (anonymous ones under ''). */
export function readmeOperations() {
  const operations = {};
  for (const block of graphqlBlocks(readFileSync(resolve(ROOT, 'README.md'), 'utf8'))) {
    for (const definition of parse(block).definitions) {
      if (definition.kind !== 'OperationDefinition') continue;
      operations[definition.name?.value ?? ''] = print(definition);
    }
  }
  return operations;
}

/** A README operation's text; fails the test when the README has no operation of that name. */
export function readmeOperation(name) {
  const operations = readmeOperations();
  if (!(name in operations)) {
    throw new Error(`README.md has no operation named ${name} (it has: ${Object.keys(operations).join(', ')})`);
  }
  return operations[name];
}

/** A fetch that remembers each request: method, URL, headers and parsed body. */
export function recordingFetch() {
  const requests = [];
  async function recording(input, init = {}) {
    const request = new Request(input, init);
    const text = request.method === 'POST' ? await request.clone().text() : '';
    const response = await fetch(request);
    requests.push({
      method: request.method,
      url: new URL(request.url),
      headers: Object.fromEntries(request.headers),
      body: text ? JSON.parse(text) : undefined,
      status: response.status,
      contentType: response.headers.get('content-type'),
    });
    return response;
  }
  recording.requests = requests;
  return recording;
}

/**
 * Everything printed through console.warn, console.error (Apollo Client's
 * invariant.warn/error, urql's and graphcache's dev warnings) and console.log
 * while `run` runs, then the console as it was. Returns [result, messages].
 */
export async function printedWhile(run) {
  const messages = [];
  const saved = {};
  for (const level of ['warn', 'error', 'log', 'info', 'debug']) {
    saved[level] = console[level];
    console[level] = (...args) => messages.push(`${level}: ${format(...args)}`);
  }
  try {
    return [await run(), messages];
  } finally {
    Object.assign(console, saved);
  }
}
