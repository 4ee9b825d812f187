import pickle

import pytest

from gateway.cache._envelope import Envelope, pack, unpack

NOW = 1_000_000.0


def test_an_envelope_reads_back_as_written() -> None:
    envelope = Envelope(NOW - 5, NOW + 55, NOW + 355, b'{"data": []}')
    assert unpack(pack(envelope), NOW) == envelope


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "text",
        b"",
        b"no newline",
        b'{"v":1,"fetchedAt":1,"freshUntil":2,"staleUntil":3}\n',  # no body
        b'{"v":2,"fetchedAt":1,"freshUntil":2,"staleUntil":9999999}\n{}',  # another layout
        b'{"v":1,"fetchedAt":1,"freshUntil":"2","staleUntil":9999999}\n{}',
        b'{"v":1,"fetchedAt":true,"freshUntil":2,"staleUntil":9999999}\n{}',
        b'{"v":1,"fetchedAt":5,"freshUntil":2,"staleUntil":9999999}\n{}',  # out of order
        b'{"v":1,"fetchedAt":1,"freshUntil":2,"staleUntil":3}\n{}',  # past its stale window
        b"[1,2]\n{}",
        pickle.dumps({"v": 1}),
    ],
)
def test_anything_else_is_no_entry(raw: object) -> None:
    assert unpack(raw, NOW) is None
