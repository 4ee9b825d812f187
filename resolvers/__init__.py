"""Thin resolvers: GraphQL arguments in, loader calls out, records back."""
