import pytest

from gateway.operations._documents import (
    ManifestError,
    PersistedQueries,
    TrustedDocuments,
    parse_manifest,
    sha256_hex,
)

QUERY = "{ __typename }"


def test_apollo_and_relay_manifests_are_read() -> None:
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": "abc", "name": "T", "type": "query", "body": QUERY}],
    }
    assert parse_manifest(apollo) == {"abc": QUERY}
    assert parse_manifest({"abc": QUERY}) == {"abc": QUERY}
    with pytest.raises(ManifestError):
        parse_manifest([QUERY])


def test_trusted_documents_match_by_id_or_by_exact_text() -> None:
    trusted = TrustedDocuments({"abc": QUERY})
    assert trusted.body("abc") == QUERY
    assert trusted.allows(QUERY)
    assert not trusted.allows(QUERY + " ")


def test_a_persisted_query_registers_only_under_its_own_hash() -> None:
    store = PersistedQueries(max_entries=2)
    assert not store.register("0" * 64, QUERY)
    assert store.get(sha256_hex(QUERY)) is None
    assert store.register(sha256_hex(QUERY), QUERY)
    assert store.get(sha256_hex(QUERY)) == QUERY


def test_the_store_is_bounded() -> None:
    store = PersistedQueries(max_entries=2)
    documents = [f"{{ a{i} }}" for i in range(3)]
    for document in documents:
        store.register(sha256_hex(document), document)
    assert store.get(sha256_hex(documents[0])) is None
    assert store.get(sha256_hex(documents[2])) == documents[2]
