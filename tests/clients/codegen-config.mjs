// GraphQL Code Generator: the schema's types (typescript) and each operation's
// (typescript-operations, which since its v6 writes the enums it uses itself,
// so each plugin gets its own file), with every custom scalar mapped.
export const config = {
  // An unmapped custom scalar is an error, not `any`.
  strictScalars: true,
  scalars: {
    // RFC 3339 in UTC, e.g. "2024-04-10T00:00:00Z" (parse it when you need a Date).
    DateTime: 'string',
    // Any JSON value: narrow it before use.
    JSON: 'unknown',
  },
};

// codegen.ts: { schema: 'schema.graphql', documents: 'src/**/*.graphql', generates: generates('src/gql') }
export function generates(directory) {
  return {
    [`${directory}/schema.ts`]: { plugins: ['typescript'], config },
    [`${directory}/operations.ts`]: { plugins: ['typescript-operations'], config },
  };
}
