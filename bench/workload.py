"""The benchmark's operation: a customer with 50 promotions, each with its full rules."""

from __future__ import annotations

import json

from sandbox.data import bench_mobile

NESTED = """query Nested($mobile: String!) {
  customer(identifierType: MOBILE, identifierValue: $mobile) {
    id
    promotions(first: 50) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        promotionId name type
        usage { points times }
        restrictions { kind name limit used scope period { window unit } }
        timelines { enrolledAt expiresAt issuals { issuedAt redeemedCount } }
        promotion {
          id status startDate endDate
          rulesets { name rules { name expression actions { name properties } } }
        }
      }
    }
  }
}"""


def nested_body(customer: int) -> str:
    """The JSON request body asking for the n-th benchmark customer."""
    return json.dumps(
        {
            "query": NESTED,
            "operationName": "Nested",
            "variables": {"mobile": bench_mobile(customer)},
        },
        separators=(",", ":"),
    )


def nested_bodies(customers: int) -> list[str]:
    return [nested_body(n) for n in range(customers)]
