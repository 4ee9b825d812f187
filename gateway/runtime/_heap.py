"""The garbage collector, tuned for a long-running server.

A query allocates tens of thousands of short-lived objects (records, response
dicts), so CPython's default threshold (a young collection every 700 net
allocations) runs a collection every few fields. Under concurrent load the
requests in flight survive those collections and get promoted, which makes the
older generations' collections slow too. Startup objects (modules, the schema)
never die: freezing them keeps every later full collection from walking them.
"""

from __future__ import annotations

import gc

# Young collections after this many net allocations (CPython's default: 700).
YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """Call once per worker, when the app is built and before it serves."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
