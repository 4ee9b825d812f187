from gateway.observability._metrics import OperationNames


def test_names_are_bounded_but_allowed_ones_always_pass() -> None:
    names = OperationNames(limit=2)
    names.allow(["Wallet"])
    assert [names.label(n) for n in ("A", "B", "Wallet", None, "bad name!")] == [
        "A",
        "other",
        "Wallet",
        "anonymous",
        "other",
    ]
