"""What the replicas share, through Redis: one connection with a deadline on every
command and a circuit breaker in front (`Fleet`), and the layout of every key the
gateway writes (`FleetKeys`). With no `REDIS_URL` there is no `Fleet`, and every
caller keeps its state in the process.

A caller asks `Fleet.call` to run commands (or `Fleet.pipelined` for one command
sent with the others of the same event-loop tick, as one pipeline) and treats
`FleetUnavailable` (Redis down, slow, hung, answering errors, or its breaker open)
as "no fleet right now": it goes on with what the process has. Nothing here pickles;
values are bytes the caller encodes (JSON) and must parse defensively.
`SharedBuckets` are token buckets (GCRA, one Lua script each, on Redis's clock) that
every replica draws on: the vendor quota per credential and the client rate limit.
"""

from gateway.fleet._buckets import SharedBuckets
from gateway.fleet._keys import FleetKeys
from gateway.fleet._pipeline import Queue
from gateway.fleet._redis import Fleet, FleetUnavailable

__all__ = ["Fleet", "FleetKeys", "FleetUnavailable", "Queue", "SharedBuckets"]
