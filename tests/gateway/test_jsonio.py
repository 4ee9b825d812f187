from __future__ import annotations

import math

import pytest

from gateway import jsonio


def test_reads_json_and_the_standard_librarys_extensions() -> None:
    assert jsonio.loads(b'{"a": [1, 2.5, "x", null]}') == {"a": [1, 2.5, "x", None]}
    value = jsonio.loads('{"points": NaN}')
    assert isinstance(value, dict)
    assert math.isnan(value["points"])


def test_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError, match="Expecting"):
        jsonio.loads(b"<html>")


def test_writes_compact_json_without_non_finite_numbers() -> None:
    assert jsonio.dumps({"a": [1, "é"], "b": math.inf}) == '{"a":[1,"é"],"b":null}'.encode()
