import pytest

from gateway.upstream import _tables as tables
from gateway.upstream import records
from gateway.upstream._tables import Field, Kind, Table


def test_a_table_lists_its_records_fields_in_the_records_order() -> None:
    window = Field("window", Kind.TEXT, ("periodType",))
    unit = Field("unit", Kind.CHOICE, ("periodUnit",), choices=records.PeriodUnit)
    assert Table(records.RestrictionPeriod, (window, unit)).fields == (window, unit)
    with pytest.raises(TypeError, match="RestrictionPeriod"):
        Table(records.RestrictionPeriod, (unit, window))
    with pytest.raises(TypeError, match="RestrictionPeriod"):
        Table(records.RestrictionPeriod, (window,))


@pytest.mark.parametrize(
    "window",
    [
        Field("window", Kind.TEXT),  # no key
        Field("window", Kind.CHOICE, ("periodType",)),  # no enum
        Field("window", Kind.TEXT, ("periodType",), choices=records.PeriodUnit),
        Field("window", Kind.OBJECT, ("periodType",)),  # no table
        Field("window", Kind.OBJECTS, ("a", "b"), table=tables.USAGE),  # a list has one key
        Field("window", Kind.GROUP, ("periodType",), table=tables.USAGE),  # the same object
        Field("window", Kind.CONSTANT, ("periodType",)),
        Field("window", Kind.TEXT, ("periodType",), when=("nothing", None)),
    ],
)
def test_a_field_is_declared_as_its_kind_needs(window: Field) -> None:
    unit = Field("unit", Kind.CHOICE, ("periodUnit",), choices=records.PeriodUnit)
    with pytest.raises(TypeError, match="window"):
        Table(records.RestrictionPeriod, (window, unit))


def test_the_field_a_when_names_is_read_first() -> None:
    orders = [[f.name for f in table.reading_order] for _, table in tables.RESTRICTION_LISTS]
    assert orders[0][:3] == ["restriction_type", "kind", "name"]
    assert orders[3] == list(records.Restriction._fields)  # an expiry has no period
    assert [key for key, _ in tables.RESTRICTION_LISTS] == [
        "issualRestrictions",
        "earnRestrictions",
        "redemptionRestrictions",
        "expiryRestrictions",
    ]
