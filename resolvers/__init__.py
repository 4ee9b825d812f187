"""Thin resolvers: GraphQL arguments in, loader calls out, records back.

`promotions` and `customers` read like the fields they serve; `context` is what
every resolver gets (`RequestContext`); `pagination` is the Relay windows over
the upstream's two paging styles.
"""
