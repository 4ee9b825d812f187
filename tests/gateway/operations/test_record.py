from types import SimpleNamespace
from typing import Any, cast

from strawberry.extensions import SchemaExtension

from gateway.observability import RequestRecord
from gateway.operations._record import request_record


def extension_with(context: object) -> SchemaExtension:
    extension = SchemaExtension()
    extension.execution_context = cast(Any, SimpleNamespace(context=context))
    return extension


def test_the_record_is_the_context_s_when_it_is_one() -> None:
    record = RequestRecord("r1")
    assert request_record(extension_with(SimpleNamespace(record=record))) is record
    assert request_record(extension_with(SimpleNamespace(record="not a record"))) is None
    assert request_record(extension_with(None)) is None
