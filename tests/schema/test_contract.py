from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    find_breaking_changes,
)
from graphql import build_schema as build_sdl

from schema import build_schema, served_sdl

ROOT = Path(__file__).parents[2]
CONTRACT_COPY = ROOT / "schema" / "contract.graphql"
SHARED_CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"


def test_the_served_schema_breaks_nothing_in_the_contract() -> None:
    contract = build_sdl(CONTRACT_COPY.read_text())
    served = build_sdl(served_sdl())
    assert find_breaking_changes(contract, served) == []


def test_the_contract_copy_is_verbatim() -> None:
    # On a machine with shared/ beside the repo, the copy must not drift from it.
    if SHARED_CONTRACT.exists():
        assert CONTRACT_COPY.read_text() == SHARED_CONTRACT.read_text()
    assert "type Query" in CONTRACT_COPY.read_text()


def test_the_committed_sdl_is_the_served_schema() -> None:
    assert (ROOT / "schema.graphql").read_text() == served_sdl(), (
        "schema.graphql is stale: regenerate it with `make schema.graphql`"
    )


def test_every_type_and_field_has_a_description() -> None:
    schema = build_schema()._schema
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, d in kind.fields.items() if not d.description]
        assert not isinstance(kind, GraphQLEnumType) or kind.values
    assert missing == []


def test_the_vendor_fields_are_reachable() -> None:
    sdl = served_sdl()
    for field in (
        "orgName",
        "contextType",
        "packageName",
        "cappingInfo",
        "createdOn",
        "createdBy",
        "modifiedOn",
        "ruleScope",
        "actionClass",
        "allocatePointsOn",
        "useProportions",
        "loyaltyEarningType",
        "expiryReminder",
        "startRuleIdentifier",
        "level: PromotionLevel",
        "cappingStatus",
        "targetGroupIds",
        "skipEarnedDateCheckOnRedeem",
        "expiryBasis",
        "warnings",
    ):
        assert field in sdl, field
