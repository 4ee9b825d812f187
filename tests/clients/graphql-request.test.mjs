// graphql-request 7: POST (its default) and GET, in development and, configured
// as docs/clients.md says, in production.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ClientError, GraphQLClient } from 'graphql-request';

import {
  GATEWAY_URL,
  HEADERS,
  PRODUCTION_GATEWAY_URL,
  WALLET_VARIABLES,
  readmeOperation,
  recordingFetch,
} from './support.mjs';

for (const method of ['POST', 'GET']) {
  test(`graphql-request: ${method} runs the README Wallet`, async () => {
    const fetch = recordingFetch();
    const client = new GraphQLClient(GATEWAY_URL, { method, headers: HEADERS, fetch });
    const data = await client.request(readmeOperation('Wallet'), WALLET_VARIABLES);
    assert.ok(data.customer.promotions.nodes.length > 0);
    assert.equal(fetch.requests.length, 1);
    assert.equal(fetch.requests[0].method, method);
    assert.equal(fetch.requests[0].status, 200);
  });
}

test('graphql-request: production POST, as it comes', async () => {
  const client = new GraphQLClient(PRODUCTION_GATEWAY_URL, { headers: HEADERS });
  const data = await client.request(readmeOperation('Promotion'));
  assert.ok(data.promotion.name);
});

test('graphql-request: production GET, configured as docs/clients.md says (preflight header)', async () => {
  const client = new GraphQLClient(PRODUCTION_GATEWAY_URL, {
    method: 'GET',
    headers: { ...HEADERS, 'apollo-require-preflight': 'true' },
  });
  const data = await client.request(readmeOperation('Promotion'));
  assert.ok(data.promotion.name);
});

test('graphql-request: production refuses a bare GET with a coded error naming both ways out', async () => {
  const client = new GraphQLClient(PRODUCTION_GATEWAY_URL, { method: 'GET', headers: HEADERS });
  const error = await client.request(readmeOperation('Promotion')).then(
    () => assert.fail('a GET without a preflight header is refused in production'),
    (caught) => caught,
  );
  assert.ok(error instanceof ClientError, String(error));
  assert.equal(error.response.status, 400);
  const [refusal] = error.response.errors;
  assert.ok(refusal.extensions?.code, JSON.stringify(refusal));
  assert.match(refusal.message, /preflight/i);
  assert.match(refusal.message, /persisted/i);
});
