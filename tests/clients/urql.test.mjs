// urql 6 (@urql/core) in development mode: first as it comes (queries as GET
// within the URL limit), then with graphcache and the documented keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Client, cacheExchange, fetchExchange, gql } from '@urql/core';
import { cacheExchange as graphcache } from '@urql/exchange-graphcache';

import { keys, resolvers } from './cache-config.mjs';
import {
  GATEWAY_URL,
  HEADERS,
  PRODUCTION_GATEWAY_URL,
  WALLET_BADGE as WALLET_BADGE_TEXT,
  WALLET_PAGES as WALLET_PAGES_TEXT,
  WALLET_VARIABLES,
  printedWhile,
  readmeOperation,
  recordingFetch,
} from './support.mjs';

// A client with urql's default exchanges unless told otherwise, sending the user's credential.
function client({ url = GATEWAY_URL, fetch, exchanges = [cacheExchange, fetchExchange], headers = {} } = {}) {
  return new Client({ url, exchanges, fetch, fetchOptions: { headers: { ...HEADERS, ...headers } } });
}

test('urql runs in development mode', () => {
  assert.notEqual(process.env.NODE_ENV, 'production');
});

test('urql: the default client (GET) runs the README Wallet unmodified', async () => {
  const fetch = recordingFetch();
  // Only the URL (and the user's credential, as any app sends it): urql's defaults otherwise.
  const urql = client({ fetch });
  const [result, printed] = await printedWhile(() =>
    urql.query(gql(readmeOperation('Wallet')), WALLET_VARIABLES).toPromise(),
  );
  assert.deepEqual(printed, []);
  assert.ok(!result.error, result.error?.message);
  assert.ok(result.data.customer.promotions.nodes.length > 0);
  assert.equal(fetch.requests.length, 1);
  assert.equal(fetch.requests[0].method, 'GET');
  assert.equal(fetch.requests[0].status, 200);
  assert.match(fetch.requests[0].headers.accept, /application\/graphql-response\+json/);
  assert.match(fetch.requests[0].contentType, /^application\/graphql-response\+json/);
});

test('urql: production, configured as docs/clients.md says (preflight header)', async () => {
  const fetch = recordingFetch();
  const urql = client({
    url: PRODUCTION_GATEWAY_URL,
    fetch,
    headers: { 'apollo-require-preflight': 'true' },
  });
  const result = await urql.query(gql(readmeOperation('Promotion')), {}).toPromise();
  assert.ok(!result.error, result.error?.message);
  assert.ok(result.data.promotion.name);
  assert.equal(fetch.requests[0].method, 'GET');
});

test('urql: production refuses its default GET, saying what to send', async () => {
  const urql = client({ url: PRODUCTION_GATEWAY_URL });
  const result = await urql.query(gql(readmeOperation('Promotion')), {}).toPromise();
  assert.ok(result.error, 'a GET without a preflight header is refused in production');
  const [error] = result.error.graphQLErrors;
  assert.ok(error?.extensions?.code, `a coded JSON refusal: ${result.error.message}`);
  assert.match(error.message, /preflight/i);
  assert.match(error.message, /persisted/i);
});

const WALLET_BADGE = gql(WALLET_BADGE_TEXT);
const WALLET_PAGES = gql(WALLET_PAGES_TEXT);

function cached(fetch) {
  return client({ fetch, exchanges: [graphcache({ keys, resolvers }), fetchExchange] });
}

test('urql: graphcache with the documented keys, two overlapping wallet queries, no warning', async () => {
  const fetch = recordingFetch();
  const urql = cached(fetch);
  const wallet = gql(readmeOperation('Wallet'));
  const [[full, badge, again], printed] = await printedWhile(async () => [
    await urql.query(wallet, WALLET_VARIABLES).toPromise(),
    await urql.query(WALLET_BADGE, WALLET_VARIABLES).toPromise(),
    await urql.query(wallet, WALLET_VARIABLES).toPromise(),
  ]);
  assert.deepEqual(printed, []);
  for (const result of [full, badge, again]) assert.ok(!result.error, result.error?.message);
  assert.ok(full.data.customer.promotions.nodes.length > 1);
  assert.deepEqual(again.data, full.data);
  assert.equal(fetch.requests.length, 2, 'the Wallet, asked again, came from the cache');
});

test('urql: graphcache relayPagination pages through a customer\'s promotions', async () => {
  const urql = cached(recordingFetch());
  const [[first, second], printed] = await printedWhile(async () => {
    const first = await urql.query(WALLET_PAGES, WALLET_VARIABLES).toPromise();
    const after = first.data?.customer.promotions.pageInfo.endCursor;
    return [first, await urql.query(WALLET_PAGES, { ...WALLET_VARIABLES, after }).toPromise()];
  });
  assert.deepEqual(printed, []);
  for (const result of [first, second]) assert.ok(!result.error, result.error?.message);
  assert.equal(first.data.customer.promotions.edges.length, 30);
  // relayPagination: the answer holds both pages.
  const ids = second.data.customer.promotions.edges.map((edge) => edge.node.id);
  assert.equal(ids.length, 60);
  assert.equal(new Set(ids).size, 60);
});
