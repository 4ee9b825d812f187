from __future__ import annotations

import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import parse

from gateway.operations._guard import AcceptedDocuments
from gateway.operations._served_schema import served_schema
from gateway.settings import Settings
from tests.conftest import FAST_EXECUTION


def test_accepted_documents_keep_the_most_recently_used() -> None:
    accepted = AcceptedDocuments(max_entries=2)
    first, second, third = (
        parse(f"{{ promotion(programId: {n}, id: 1) {{ id }} }}") for n in range(3)
    )
    accepted.add("first", first)
    accepted.add("second", second)
    assert accepted.get("first") is first  # now the most recent
    accepted.add("third", third)
    assert accepted.get("second") is None
    assert accepted.get("first") is first
    assert accepted.get("third") is third


def test_no_document_is_remembered_with_zero_entries() -> None:
    accepted = AcceptedDocuments(max_entries=0)
    accepted.add("query", parse("{ __typename }"))
    assert accepted.get("query") is None


def test_a_repeated_document_skips_parse_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    validations: list[object] = []
    parses: list[str] = []
    validate, parse_document = strawberry_schema.validate_document, strawberry_schema.parse  # type: ignore[attr-defined]

    def counting(schema: object, document: object, rules: object) -> object:
        validations.append(document)
        return validate(schema, document, rules)  # type: ignore[arg-type]

    def counting_parse(text: str, **options: object) -> object:
        parses.append(text)
        return parse_document(text, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(strawberry_schema, "validate_document", counting)
    monkeypatch.setattr(strawberry_schema, "parse", counting_parse)
    schema = served_schema(Settings(fast_execution=FAST_EXECUTION))
    valid, invalid = "{ __typename }", "{ nope }"
    for _ in range(3):
        assert schema.execute_sync(valid).errors is None
    for _ in range(2):
        assert schema.execute_sync(invalid).errors
    # The valid document once, the invalid one every time.
    assert parses == [valid, invalid, invalid]
    assert len(validations) == 1 + 2
