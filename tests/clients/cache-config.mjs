import { relayStylePagination } from '@apollo/client/utilities';
import { relayPagination } from '@urql/exchange-graphcache/extras';

// Apollo Client: new InMemoryCache({ typePolicies })
export const typePolicies = {
  Customer: {
    keyFields: ['id'],
    fields: {
      // One list per filter; `first` and `after` page through it.
      promotions: relayStylePagination(['status', 'type', 'sourceType', 'programIds', 'fetchAllUsage']),
    },
  },
  CustomerPromotion: { keyFields: ['id'] },
  Promotion: { keyFields: ['id'] },
  // Objects without an identity of their own: merge what two queries selected.
  CustomerUsage: { merge: true },
  PromotionLimits: { merge: true },
  Query: {
    fields: {
      promotions: relayStylePagination(['filter']),
    },
  },
};

// urql: cacheExchange({ keys, resolvers }) from @urql/exchange-graphcache
export const keys = {
  // Customer, CustomerPromotion, Promotion, Ruleset, Rule, RuleAction, RuleFilter
  // and Issual are keyed by their `id` (graphcache's default).
  Timeline: (timeline) => timeline.enrollmentId ?? null,
  // No identity: stored inside the object that holds them.
  CustomerPromotionConnection: () => null,
  CustomerPromotionEdge: () => null,
  PromotionConnection: () => null,
  PromotionEdge: () => null,
  PageInfo: () => null,
  CustomerUsage: () => null,
  PromotionLimits: () => null,
  PromotionMetadata: () => null,
  Restriction: () => null,
  RestrictionPeriod: () => null,
};

export const resolvers = {
  Customer: { promotions: relayPagination() },
  Query: { promotions: relayPagination() },
};
