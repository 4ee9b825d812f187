import time

import httpx
import pytest

from gateway import errors
from gateway.cache._promotions import PromotionCaches
from gateway.credentials import Credential
from gateway.deadline import Deadline
from gateway.loaders import CallBudget, Loaders, RequestCalls, StaleLog
from gateway.observability import UpstreamCall
from gateway.settings import Settings
from gateway.upstream._calls import Caller
from gateway.upstream._client import UpstreamClient

SETTINGS = Settings(upstream_url="http://upstream.test")


def promotion(request: httpx.Request) -> httpx.Response:
    promotion_id = int(request.url.path.rsplit("/", 1)[1])
    return httpx.Response(200, json={"data": [{"id": promotion_id, "programId": 469}]})


async def test_the_real_upstream_calls_are_held_to_the_budget() -> None:
    client = UpstreamClient(httpx.MockTransport(promotion), SETTINGS)
    credential = Credential.from_header("Basic x", secret=b"k")
    calls = CallBudget(2)
    loaders = Loaders.for_request(
        RequestCalls(client, credential, Caller(Deadline.after(5)), calls, StaleLog()),
        PromotionCaches(SETTINGS),
        fanout=SETTINGS.promotion_fanout,
    )
    first = await loaders.promotion.load(("469", "1"))
    second = await loaders.promotion.load(("469", "2"))
    again = await loaders.promotion.load(("469", "1"))  # per-request dedupe: no new call
    assert (first.id, second.id, again.id) == ("1", "2", "1")
    with pytest.raises(errors.CostLimitExceeded):
        await loaders.promotion.load(("469", "3"))
    assert calls.spent == 2


async def test_cache_hits_cost_nothing() -> None:
    client = UpstreamClient(httpx.MockTransport(promotion), SETTINGS)
    credential = Credential.from_header("Basic x", secret=b"k")
    caches = PromotionCaches(SETTINGS)

    def loaders(calls: CallBudget) -> Loaders:
        return Loaders.for_request(
            RequestCalls(client, credential, Caller(Deadline.after(5)), calls, StaleLog()),
            caches,
            fanout=SETTINGS.promotion_fanout,
        )

    await loaders(CallBudget(1)).promotion.load(("469", "1"))
    warm = CallBudget(1)
    await loaders(warm).promotion.load(("469", "1"))
    assert warm.spent == 0


async def test_cached_promotions_served_together_are_placed_on_the_time_axis() -> None:
    client = UpstreamClient(httpx.MockTransport(promotion), SETTINGS)
    credential = Credential.from_header("Basic x", secret=b"k")
    caches = PromotionCaches(SETTINGS)

    def loaders(calls: list[UpstreamCall]) -> Loaders:
        caller = Caller(Deadline.after(5), calls=calls, itemised=True)
        return Loaders.for_request(
            RequestCalls(client, credential, caller, CallBudget(5), StaleLog()),
            caches,
            fanout=SETTINGS.promotion_fanout,
        )

    cold = loaders([])
    await cold.promotion.load(("469", "1"))
    await cold.promotion.load(("469", "2"))
    origin = time.perf_counter()
    explained: list[UpstreamCall] = []
    warm = loaders(explained)
    keys = [("469", "1"), ("469", "2")]
    assert all(warm.cached_promotion(key) is not None for key in keys)
    warm.cached_promotions_served(keys)
    shown = [call.as_dict(origin) for call in explained]
    assert [(c["cache"], c["params"]["promotionId"]) for c in shown] == [("hit", "1"), ("hit", "2")]
    for call in shown:  # an instant, when they were served: a start and an end, never null
        assert 0 <= call["startMs"] <= call["endMs"]
        assert call["durationMs"] >= 0
        assert call["endMs"] == round(call["startMs"] + call["durationMs"], 2)
