"""schemathesis checks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS).

schemathesis's own `not_a_server_error` counts every GraphQL execution error as a
server fault; by the contract a missing promotion is `null` plus a coded error.
A real fault here is: a 5xx, a body that is not GraphQL JSON, an error without a
code, INTERNAL (an unexpected exception), or anything leaking the upstream.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import graphql
import schemathesis
from hypothesis import strategies as st

RESULTS = Path(__file__).parent / "results" / "fuzz.json"
LEAKS = ("Traceback", "127.0.0.1", "sandbox", "Basic ")


@schemathesis.check
def gateway_answers_every_operation(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError("the response is not JSON") from None
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        if code is None:
            raise AssertionError(f"an error without extensions.code: {error}")
        if code == "INTERNAL":
            raise AssertionError(f"an unexpected exception: {error.get('message')}")
    text = response.content.decode(errors="replace")
    for leak in LEAKS:
        if leak in text:
            raise AssertionError(f"the response leaks {leak!r}")


@schemathesis.check
class CoverageReport:
    """Tallies what the run exercised and writes it to bench/results/fuzz.json."""

    def __init__(self) -> None:
        self.responses = 0
        self.statuses: Counter[int] = Counter()
        self.codes: Counter[str] = Counter()
        self.root_fields: Counter[str] = Counter()

    def after_response(self, ctx: Any, response: Any, case: Any) -> None:
        self.responses += 1
        self.statuses[response.status_code] += 1
        self.root_fields[case.operation.label] += 1
        try:
            body = json.loads(response.content)
        except ValueError:
            return
        for error in body.get("errors") or ():
            self.codes[str((error.get("extensions") or {}).get("code"))] += 1
        if body.get("data") and not body.get("errors"):
            self.codes["(no error)"] += 1

    def after_run(self, ctx: Any) -> None:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(
            json.dumps(
                {
                    "responses": self.responses,
                    "httpStatuses": dict(sorted(self.statuses.items())),
                    "operations": dict(self.root_fields.most_common()),
                    "errorCodes": dict(self.codes.most_common()),
                },
                indent=2,
            )
            + "\n"
        )


# Half of the generated operations get arguments the sandbox knows, so the fuzzing
# reaches the upstream calls, caches and nested resolvers, not only argument checks.
REAL_ARGUMENTS = {
    "programId": graphql.StringValueNode(value="973"),
    "id": graphql.StringValueNode(value="200001"),
    "identifierValue": graphql.StringValueNode(value="919456430850"),
}


class _RealArguments(graphql.Visitor):
    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> graphql.ArgumentNode | None:
        name = node.name.value
        real = REAL_ARGUMENTS.get(name)
        # Only a value of the same kind: a negative case (a wrong kind) stays negative.
        if real is not None and type(real) is type(node.value):
            return graphql.ArgumentNode(name=node.name, value=real)
        if name == "first" and isinstance(node.value, graphql.IntValueNode):
            if not -(2**31) <= int(node.value.value) < 2**31:
                return None  # not an Int: a negative case
            within = graphql.IntValueNode(value=str(int(node.value.value) % 101))
            return graphql.ArgumentNode(name=node.name, value=within)
        return None


def _with_real_arguments(body: graphql.DocumentNode) -> graphql.DocumentNode:
    rewritten: graphql.DocumentNode = graphql.visit(body, _RealArguments())
    return rewritten


@schemathesis.hook
def flatmap_body(ctx: Any, body: Any) -> Any:
    return st.booleans().map(lambda real: _with_real_arguments(body) if real else body)
