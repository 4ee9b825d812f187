from datetime import UTC, datetime, timedelta, timezone

import pytest

from schema.scalars import parse_datetime, serialize_datetime


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2024, 4, 10, tzinfo=UTC), "2024-04-10T00:00:00Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (datetime(999, 1, 1, tzinfo=UTC), "0999-01-01T00:00:00Z"),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "9999-12-31T23:59:59Z"),
        (datetime(2025, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC), "2025-01-02T03:04:05.999Z"),
        (datetime(2025, 1, 2, 3, 4, 5, 1_000, tzinfo=UTC), "2025-01-02T03:04:05.001Z"),
        (datetime(2025, 1, 2, 3, 4, 5, 999, tzinfo=UTC), "2025-01-02T03:04:05.000Z"),
        (
            datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2025-01-01T21:34:05Z",
        ),
        (datetime(2025, 1, 2, 3, 4, 5), "2025-01-02T03:04:05Z"),  # no zone: taken as UTC
    ],
)
def test_date_times_are_rfc3339_in_utc_with_milliseconds_only_when_there_are_some(
    value: datetime, text: str
) -> None:
    assert serialize_datetime(value) == text
    # And it reads back as the same instant, to the millisecond.
    instant = value if value.tzinfo else value.replace(tzinfo=UTC)
    assert parse_datetime(text) == instant.replace(microsecond=instant.microsecond // 1000 * 1000)
