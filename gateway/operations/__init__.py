"""What happens to a GraphQL operation before and around its execution.

`served_schema` composes the contract's schema (`schema/`) with the gateway's
extensions: `OperationGuard` (token, size and depth limits, the upstream-call
cost estimate, trusted and accepted documents), `ErrorCodes` (a stable
`extensions.code` on every error), and the per-operation reports
(`OperationReport`: metrics and tracing; `Explain`; `StaleReport`).
`PersistedQueries` and `TrustedDocuments` are the documents the front door
resolves.
"""

from gateway.operations._documents import ManifestError, PersistedQueries, TrustedDocuments
from gateway.operations._guard import OperationPolicy, PreparedDocuments
from gateway.operations._served_schema import GatewaySchema, served_schema

__all__ = [
    "GatewaySchema",
    "ManifestError",
    "OperationPolicy",
    "PersistedQueries",
    "PreparedDocuments",
    "TrustedDocuments",
    "served_schema",
]
