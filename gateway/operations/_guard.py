"""Operation limits and the upstream-call budget, checked before anything runs.

`OperationGuard` caps the tokens the parser reads, then, before the standard
validation (which it skips for a refused operation, so a hostile document costs
one linear measurement and no more), measures the operation
(`gateway.operations._limits`) and estimates its upstream calls (`gateway.operations._cost`).
Documents listed as trusted were parsed and validated at start-up, and documents
that passed before are remembered by their text (`AcceptedDocuments`): both skip
parsing, the limits and validation here, and only their cost, which depends on
the variables, is checked. A document of several operations must come with the
`operationName` to run (`OperationNotChosen`, a 400 like an unknown name).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError

from gateway import errors
from gateway.operations._cost import CostEstimates
from gateway.operations._documents import note_validated
from gateway.operations._limits import OperationLimits, check_operations
from gateway.operations._record import request_record
from gateway.settings import Settings


@dataclass(frozen=True)
class OperationPolicy:
    limits: OperationLimits
    max_tokens: int
    max_upstream_calls: int

    @classmethod
    def from_settings(cls, settings: Settings) -> OperationPolicy:
        return cls(
            limits=OperationLimits(
                depth=settings.max_depth,
                aliases=settings.max_aliases,
                root_fields=settings.max_root_fields,
                fields=settings.max_fields,
                directives=settings.max_directives,
            ),
            max_tokens=settings.max_tokens,
            max_upstream_calls=settings.max_upstream_calls_per_operation,
        )


class PreparedDocuments:
    """Trusted documents, parsed and validated once (at start-up), by their text."""

    def __init__(self) -> None:
        self._documents: dict[str, DocumentNode] = {}

    def prepare(
        self, schema: GraphQLSchema, bodies: Mapping[str, str], policy: OperationPolicy
    ) -> None:
        for document_id, body in bodies.items():
            try:
                document = parse(body, max_tokens=policy.max_tokens)
                check_operations(document, policy.limits)
            except (GraphQLError, errors.GatewayError) as error:
                raise errors.BadRequest(f"trusted document {document_id}: {error}") from None
            problems = validate(schema, document)
            if problems:
                raise errors.BadRequest(f"trusted document {document_id}: {problems[0].message}")
            self._documents[body] = document

    def get(self, body: str | None) -> DocumentNode | None:
        return None if body is None else self._documents.get(body)

    def operation_names(self) -> list[str]:
        return [
            definition.name.value
            for document in self._documents.values()
            for definition in document.definitions
            if isinstance(definition, OperationDefinitionNode) and definition.name
        ]


class AcceptedDocuments:
    """Documents that passed the limits and validation, by their text; the most
    recently used are kept."""

    def __init__(self, max_entries: int) -> None:
        self._documents: LRUCache[str, DocumentNode] | None = (
            LRUCache(max_entries) if max_entries > 0 else None
        )

    def get(self, body: str | None) -> DocumentNode | None:
        if self._documents is None or body is None:
            return None
        return self._documents.get(body)

    def add(self, body: str | None, document: DocumentNode) -> None:
        if self._documents is not None and body is not None:
            self._documents[body] = document


class OperationNotChosen(CannotGetOperationTypeError):
    """A document of several operations and no `operationName`: a request error
    (GraphQL over HTTP), refused before anything runs like an unknown
    `operationName`, which strawberry's view answers with a 400 for us to shape."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(None)
        self.names = names

    def as_http_error_reason(self) -> str:
        return (
            f"The document holds {len(self.names)} operations ({', '.join(self.names)}): "
            "name the one to run in `operationName`."
        )


# Whether the request named its operation (`operationName`), as the schema's `execute`
# was given it: strawberry's execution context answers the first operation's name
# when none was given, so the guard cannot tell from it.
OPERATION_NAMED: ContextVar[bool] = ContextVar("operation_named", default=True)


def check_one_operation(document: DocumentNode, named: bool) -> None:
    """Raise OperationNotChosen when the document has several operations and the
    request named none."""
    if named:
        return
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) > 1:
        raise OperationNotChosen([o.name.value if o.name else "anonymous" for o in operations])


class OperationGuard(SchemaExtension):
    def __init__(
        self,
        *,
        policy: OperationPolicy,
        prepared: PreparedDocuments,
        accepted: AcceptedDocuments,
        estimates: CostEstimates,
    ) -> None:
        self._policy = policy
        self._prepared = prepared
        self._accepted = accepted
        self._estimates = estimates
        self._validated_before = False

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self._policy.max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        document = self._prepared.get(query) or self._accepted.get(query)
        if document is not None:
            self.execution_context.graphql_document = document  # strawberry skips parsing
            self._validated_before = True
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            check_one_operation(document, OPERATION_NAMED.get())
            try:
                if not self._validated_before:
                    check_operations(document, self._policy.limits)
                self._check_cost(document)
            except errors.GatewayError as error:
                # Set before validation runs: strawberry then skips it.
                context.pre_execution_errors = [GraphQLError(error.message, original_error=error)]
            else:
                if self._validated_before:
                    context.pre_execution_errors = []  # validated before
        yield
        problems = context.pre_execution_errors
        if document is None or problems is None or problems:
            return
        note_validated(context.query)
        if not self._validated_before:
            self._accepted.add(context.query, document)

    def _check_cost(self, document: DocumentNode) -> None:
        context = self.execution_context
        estimate = self._estimates.estimate(
            context.schema._schema, document, context.operation_name, context.variables
        )
        allowed = self._policy.max_upstream_calls
        record = request_record(self)
        if record is not None:  # for explain mode: the cost against the budget
            record.estimated_calls, record.max_calls = estimate, allowed
        if estimate > allowed:
            raise errors.CostLimitExceeded(
                f"The operation could make {estimate} upstream calls; the limit is {allowed}. "
                "Ask for fewer items (`first`) or fewer nested `promotion`/`rulesets`.",
                details={
                    "limit": "upstreamCalls",
                    "max": allowed,
                    "actual": estimate,
                    "estimatedUpstreamCalls": estimate,
                    "maxUpstreamCalls": allowed,
                },
            )
