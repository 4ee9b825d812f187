import pytest

from gateway.errors import BadUserInput
from resolvers.pagination import Window, check_first, encode_cursor, pages_spanning, start_after


def test_a_cursor_round_trips_to_the_next_index() -> None:
    assert start_after("promotions", encode_cursor("promotions", 36)) == 37
    assert start_after("promotions", None) == 0


@pytest.mark.parametrize(
    "cursor", ["", "garbage!", encode_cursor("customer-promotions", 3), "cHJvbW90aW9uczotMQ"]
)
def test_a_foreign_or_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(BadUserInput):
        start_after("promotions", cursor)


@pytest.mark.parametrize("first", [-1, 101])
def test_first_outside_0_to_100_is_refused(first: int) -> None:
    with pytest.raises(BadUserInput):
        check_first(first)


@pytest.mark.parametrize(
    ("start", "count", "size", "pages"),
    [(0, 20, 100, [0]), (90, 20, 100, [0, 1]), (37, 37, 10, [3, 4, 5, 6, 7]), (5, 0, 100, [0])],
)
def test_the_pages_a_window_spans(start: int, count: int, size: int, pages: list[int]) -> None:
    assert list(pages_spanning(start, count, size)) == pages


def test_a_window_knows_its_neighbours() -> None:
    window = Window(items=(1, 2), start=3, total_count=6)
    assert window.has_previous_page
    assert window.has_next_page
    assert not Window(items=(1,), start=0, total_count=1).has_next_page
