// Apollo Client 4 in its development build: every warning it prints fails a test.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { __DEV__ } from '@apollo/client/utilities/environment';

import { typePolicies } from './cache-config.mjs';
import {
  GATEWAY_URL,
  HEADERS,
  PRODUCTION_GATEWAY_URL,
  WALLET_BADGE as WALLET_BADGE_TEXT,
  WALLET_PAGES as WALLET_PAGES_TEXT,
  WALLET_VARIABLES,
  printedWhile,
  readmeOperation,
  readmeOperations,
  recordingFetch,
} from './support.mjs';

loadDevMessages();
loadErrorMessages();

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// Transport tests use a default cache; cache tests pass the documented typePolicies.
function client({ fetch, persisted, cache = new InMemoryCache(), uri = GATEWAY_URL } = {}) {
  const http = new HttpLink({ uri, headers: HEADERS, fetch });
  return new ApolloClient({ cache, link: persisted ? persisted.concat(http) : http });
}

const WALLET_BADGE = gql(WALLET_BADGE_TEXT);
const WALLET_PAGES = gql(WALLET_PAGES_TEXT);
const LIVE_PAGES = gql`
  query LivePages($after: String) {
    promotions(filter: { programId: "973", status: LIVE }, first: 10, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name } }
    }
  }
`;

test('the development build is on (its warnings are what these tests watch)', () => {
  assert.equal(__DEV__, true);
});

test('apollo: a plain query (the README Promotion), in the spec media type', async () => {
  const fetch = recordingFetch();
  const [result, printed] = await printedWhile(() =>
    client({ fetch }).query({ query: gql(readmeOperation('Promotion')) }),
  );
  assert.deepEqual(printed, []);
  assert.ok(!result.error, result.error?.message);
  assert.equal(result.data.promotion.__typename, 'Promotion');
  assert.ok(result.data.promotion.name);
  assert.equal(fetch.requests.length, 1);
  assert.equal(fetch.requests[0].method, 'POST');
  assert.equal(fetch.requests[0].status, 200);
  assert.match(fetch.requests[0].headers.accept, /^application\/graphql-response\+json/);
  assert.match(fetch.requests[0].contentType, /^application\/graphql-response\+json/);
});

for (const [name, uri] of [
  ['development', GATEWAY_URL],
  ['production', PRODUCTION_GATEWAY_URL],
]) {
  test(`apollo: automatic persisted queries over POST (${name})`, async () => {
    const query = gql(readmeOperation('LivePromotions'));
    const first = recordingFetch();
    const second = recordingFetch();
    const [results, printed] = await printedWhile(async () => [
      await client({ uri, fetch: first, persisted: new PersistedQueryLink({ sha256 }) }).query({ query }),
      await client({ uri, fetch: second, persisted: new PersistedQueryLink({ sha256 }) }).query({ query }),
    ]);
    assert.deepEqual(printed, []);
    for (const result of results) {
      assert.ok(!result.error, result.error?.message);
      assert.ok(result.data.promotions.nodes.length > 0);
    }
    assert.deepEqual(results[1].data, results[0].data);
    // A client that already registered the query sends its hash alone.
    const [hashOnly] = second.requests;
    assert.equal(second.requests.length, 1);
    assert.equal(hashOnly.method, 'POST');
    assert.equal(hashOnly.body.query, undefined);
    assert.match(hashOnly.body.extensions.persistedQuery.sha256Hash, /^[0-9a-f]{64}$/);
    // The first sent the hash, was told PersistedQueryNotFound, then sent the text.
    assert.equal(first.requests.length, 2);
    assert.equal(first.requests[0].body.query, undefined);
    assert.ok(first.requests[1].body.query);
  });

  test(`apollo: automatic persisted queries over GET (${name})`, async () => {
    const query = gql(readmeOperation('Promotion'));
    const link = () => new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
    const first = recordingFetch();
    const second = recordingFetch();
    const [results, printed] = await printedWhile(async () => [
      await client({ uri, fetch: first, persisted: link() }).query({ query }),
      await client({ uri, fetch: second, persisted: link() }).query({ query }),
    ]);
    assert.deepEqual(printed, []);
    for (const result of results) {
      assert.ok(!result.error, result.error?.message);
      assert.ok(result.data.promotion.name);
    }
    assert.equal(first.requests[0].method, 'GET');
    const [hashOnly] = second.requests;
    assert.equal(second.requests.length, 1);
    assert.equal(hashOnly.method, 'GET');
    assert.equal(hashOnly.status, 200);
    assert.equal(hashOnly.url.searchParams.get('query'), null);
    assert.match(JSON.parse(hashOnly.url.searchParams.get('extensions')).persistedQuery.sha256Hash, /^[0-9a-f]{64}$/);
  });
}

test('apollo: two overlapping wallet queries share the normalized cache, no warning', async () => {
  const fetch = recordingFetch();
  const apollo = client({ fetch, cache: new InMemoryCache({ typePolicies }) });
  const wallet = gql(readmeOperation('Wallet'));
  const [[full, badge, again], printed] = await printedWhile(async () => [
    await apollo.query({ query: wallet, variables: WALLET_VARIABLES }),
    await apollo.query({ query: WALLET_BADGE, variables: WALLET_VARIABLES }),
    await apollo.query({ query: wallet, variables: WALLET_VARIABLES }),
  ]);
  assert.deepEqual(printed, []);
  assert.ok(!full.error, full.error?.message);
  assert.ok(!badge.error, badge.error?.message);
  const promotions = full.data.customer.promotions;
  assert.ok(promotions.nodes.length > 1);
  assert.equal(badge.data.customer.promotions.nodes.length, promotions.nodes.length);
  // The first query's data survived the second: answered from the cache, no third request.
  assert.equal(fetch.requests.length, 2);
  assert.deepEqual(again.data, full.data);
  const cached = apollo.cache.extract();
  const customer = cached[`Customer:${JSON.stringify({ id: full.data.customer.id })}`];
  assert.ok(customer, `the customer is normalized: ${Object.keys(cached).slice(0, 5)}`);
  for (const node of badge.data.customer.promotions.nodes) {
    assert.ok(cached[`CustomerPromotion:${JSON.stringify({ id: node.id })}`], `CustomerPromotion ${node.id} normalized`);
  }
});

test('apollo: every README operation runs under the documented typePolicies, no warning', async () => {
  const apollo = client({ cache: new InMemoryCache({ typePolicies }) });
  const operations = readmeOperations();
  assert.ok(Object.keys(operations).length >= 3, Object.keys(operations).join(', '));
  for (const [name, text] of Object.entries(operations)) {
    const variables = name === 'Wallet' ? WALLET_VARIABLES : {};
    const [result, printed] = await printedWhile(() => apollo.query({ query: gql(text), variables }));
    assert.deepEqual(printed, [], name);
    assert.ok(!result.error, `${name}: ${result.error?.message}`);
  }
});

test('apollo: relayStylePagination pages through a customer\'s promotions', async () => {
  const apollo = client({ cache: new InMemoryCache({ typePolicies }) });
  const [pages, printed] = await printedWhile(async () => {
    const first = await apollo.query({ query: WALLET_PAGES, variables: WALLET_VARIABLES });
    const { endCursor } = first.data.customer.promotions.pageInfo;
    // The next page from the network (as fetchMore would): read from the cache, the
    // merged list would answer at once with the first page.
    await apollo.query({
      query: WALLET_PAGES,
      variables: { ...WALLET_VARIABLES, after: endCursor },
      fetchPolicy: 'network-only',
    });
    return [first, apollo.readQuery({ query: WALLET_PAGES, variables: WALLET_VARIABLES })];
  });
  assert.deepEqual(printed, []);
  const [first, merged] = pages;
  const edges = merged.customer.promotions.edges;
  assert.equal(first.data.customer.promotions.edges.length, 30);
  assert.equal(edges.length, 60);
  assert.equal(new Set(edges.map((edge) => edge.node.id)).size, 60);
  assert.deepEqual(edges.slice(0, 30), first.data.customer.promotions.edges);
});

test('apollo: relayStylePagination pages through a program\'s live promotions', async () => {
  const apollo = client({ cache: new InMemoryCache({ typePolicies }) });
  const [pages, printed] = await printedWhile(async () => {
    const first = await apollo.query({ query: LIVE_PAGES });
    assert.equal(first.data.promotions.pageInfo.hasNextPage, true, 'program 973 has more than one page');
    const { endCursor } = first.data.promotions.pageInfo;
    const second = await apollo.query({ query: LIVE_PAGES, variables: { after: endCursor }, fetchPolicy: 'network-only' });
    return [first, second, apollo.readQuery({ query: LIVE_PAGES })];
  });
  assert.deepEqual(printed, []);
  const [first, second, merged] = pages;
  const ids = merged.promotions.edges.map((edge) => edge.node.id);
  const firstIds = first.data.promotions.edges.map((edge) => edge.node.id);
  assert.equal(ids.length, 20);
  assert.equal(new Set(ids).size, 20);
  assert.deepEqual(ids.slice(0, 10), firstIds);
  // The second page's answer is the merged list, as the cache holds it.
  assert.deepEqual(second.data.promotions.edges.map((edge) => edge.node.id), ids);
});
