"""GraphQL documents the tests (and the README) use."""

WALLET = """
query Wallet($mobile: String!, $first: Int = 20, $status: CustomerPromotionStatus) {
  customer(identifierType: MOBILE, identifierValue: $mobile) {
    id
    promotions(status: $status, first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        promotionId name type usage { points times }
        restrictions { kind name limit used scope period { window unit } }
        timelines { enrolledAt expiresAt issuals { issuedAt redeemedCount } }
        promotion { status rulesets { name rules { name expression actions { name properties } } } }
      }
    }
  }
}
"""

BIG_CUSTOMER = "919456430850"
