// The control for apollo.test.mjs: without the documented typePolicies, the same
// two wallet queries make Apollo Client print its "Cache data may be lost"
// warning, and the console watch sees it. (Its own process: Apollo Client warns
// once per field per process.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';

import {
  GATEWAY_URL,
  HEADERS,
  WALLET_BADGE,
  WALLET_VARIABLES,
  printedWhile,
  readmeOperation,
} from './support.mjs';

loadDevMessages();
loadErrorMessages();

test('apollo control: without typePolicies the overlapping wallet queries warn', async () => {
  const apollo = new ApolloClient({
    cache: new InMemoryCache(),
    link: new HttpLink({ uri: GATEWAY_URL, headers: HEADERS }),
  });
  const [, printed] = await printedWhile(async () => {
    await apollo.query({ query: gql(readmeOperation('Wallet')), variables: WALLET_VARIABLES });
    await apollo.query({ query: gql(WALLET_BADGE), variables: WALLET_VARIABLES });
  });
  assert.ok(
    printed.some((line) => line.startsWith('warn: ') && line.includes('Cache data may be lost when replacing the promotions field of a Customer object')),
    `expected Apollo Client's data-loss warning, printed: ${JSON.stringify(printed).slice(0, 500)}`,
  );
});
