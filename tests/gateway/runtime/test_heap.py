import gc
from collections.abc import Iterator

import pytest

from gateway.runtime._heap import YOUNG_THRESHOLD, tune_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_a_serving_process_collects_young_objects_less_often_and_freezes_its_startup() -> None:
    _, middle, old = gc.get_threshold()
    tune_for_serving()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
    assert gc.get_freeze_count() > 0
