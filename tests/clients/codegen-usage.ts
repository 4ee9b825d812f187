// Typed use of the generated code (tsc --strict checks it with the generated schema.ts and operations.ts).
import type { WalletQuery, WalletQueryVariables } from './operations';
import type { Scalars } from './schema';

export const variables: WalletQueryVariables = { mobile: '919456430850' };

// DateTime is a string.
export function expiries(data: WalletQuery): string[] {
  const expiresAt: string[] = [];
  for (const node of data.customer?.promotions.nodes ?? []) {
    for (const timeline of node.timelines) {
      if (timeline.expiresAt != null) expiresAt.push(timeline.expiresAt);
    }
  }
  return expiresAt;
}

export const instant: Scalars['DateTime']['output'] = '2024-04-10T00:00:00Z';
// @ts-expect-error DateTime is not a Date
export const notADate: Scalars['DateTime']['output'] = new Date();

// JSON is unknown: narrowed before use.
export function propertyNames(data: WalletQuery): string[] {
  const names: string[] = [];
  for (const node of data.customer?.promotions.nodes ?? []) {
    for (const ruleset of node.promotion?.rulesets ?? []) {
      for (const rule of ruleset.rules) {
        for (const action of rule.actions) {
          const properties: unknown = action.properties;
          // @ts-expect-error JSON is unknown, not any: no property access before narrowing
          names.push(action.properties.name);
          if (properties !== null && typeof properties === 'object') names.push(...Object.keys(properties));
        }
      }
    }
  }
  return names;
}

export function points(data: WalletQuery): number {
  return (data.customer?.promotions.nodes ?? []).reduce((sum, node) => sum + (node.usage?.points ?? 0), 0);
}
