from gateway.observability import RequestRecord, UpstreamCall


def test_explain_places_each_call_on_the_request_s_time_axis() -> None:
    record = RequestRecord("r", started=100.0)
    record.calls = [
        UpstreamCall("customer_promotions", {}, "none", 200, duration_ms=30.0, started=100.002),
        UpstreamCall(
            "promotion", {"promotionId": "1"}, "miss", 200, duration_ms=20.0, started=100.0325
        ),
        UpstreamCall("promotion", {"promotionId": "2"}, "join", duration_ms=19.0, started=100.033),
        UpstreamCall("promotion", {"promotionId": "3"}, "hit", started=100.034),
    ]
    record.estimated_calls, record.max_calls = 4, 120
    explained = record.explained()
    spans = [(c["startMs"], c["endMs"], c["durationMs"]) for c in explained["calls"]]
    assert spans == [(2.0, 32.0, 30.0), (32.5, 52.5, 20.0), (33.0, 52.0, 19.0), (34.0, None, None)]
    totals = explained["totals"]
    # A join's wait is not upstream time: only the calls this request made count.
    assert totals["upstreamMs"] == 50.0
    assert totals["upstreamCalls"] == 2
    assert (totals["estimatedUpstreamCalls"], totals["maxUpstreamCalls"]) == (4, 120)


def test_a_call_starts_when_it_is_made() -> None:
    record = RequestRecord("r")
    call = UpstreamCall("promotion", {}, "miss")
    assert record.started <= call.started
    assert call.as_dict(record.started)["startMs"] >= 0
