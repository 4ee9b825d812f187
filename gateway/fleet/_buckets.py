"""Token buckets every replica shares: one Redis hash per bucket, changed only by Lua.

The bucket is a GCRA (generic cell rate algorithm), the token bucket written as one
number: `tat`, the theoretical arrival time, in microseconds of Redis's own clock
(`TIME`, so the pods' clocks never matter). A bucket of `capacity` tokens filling at
`rate_per_s` is full when `tat <= now`; a call may go at
`max(now, tat - (capacity - 1) * interval)` and moves `tat` on by one `interval`
(1 / rate). A call whose time to go is within its `max_wait` is admitted at once and
told how long to wait (the reservation is its place in the queue); a later one is
refused and takes nothing. So the calls admitted, at the times they were told,
never exceed `capacity + rate * L` in any window of `L` seconds, however many
replicas ask.

`take` grants several tokens in one call, for a caller that spends them over the
next `hold` seconds (the client rate limit's credit): one token when one is free
now (else nothing, and the wait), plus up to `want - 1` more, but only while the
bucket stays at least half full after them. Near the limit a call therefore gets
one token, exactly as `reserve` would give; far from it, a small batch. The extra
tokens' slots on the `tat` line start no earlier than `now + hold`: a token spent
up to `hold` after it was taken still has a slot that starts after its use, as
every GCRA admission does, so the envelope above holds for the times they are
spent (taken early, they are not lent twice when the bucket refills meanwhile).
What that costs: while the bucket is fuller than `hold` seconds short of full, the
slots up to `now + hold` go unused, at most `hold * rate` tokens.

The same hash holds `paused`: until when the bucket admits nothing (a vendor's 429
with Retry-After). Every script sets the key's TTL in the same step (when `tat` and
`paused` have passed the bucket is full again, so nothing is lost when it expires),
reads and writes only its one key (Redis Cluster places it on one node), and is
atomic: no read-then-write race between replicas. The scripts asked for in one
event-loop tick (a cold query's dozens of upstream calls, each reserving its
token) go to Redis as one pipeline (`Fleet.pipelined`): one round trip, one
deadline.
"""

from __future__ import annotations

import math

from gateway.fleet._redis import Fleet, FleetUnavailable
from gateway.token_bucket import Exhausted

# The Lua every script shares. Redis's clock, in microseconds:
NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
"""
# The bucket: `tat` (never before now: a full bucket) and `paused` (0: never).
STATE = """
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat')) or now
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0
if tat < now then tat = now end
"""
# Writes `tat`; the key lives `grace_ms` past the moment the bucket is full and
# unpaused again (it would then read as a missing key does).
SAVE = """
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat))
local ttl_ms = math.ceil((math.max(tat, paused) - now) / 1000) + grace_ms
redis.call('PEXPIRE', KEYS[1], string.format('%d', ttl_ms))
"""

# KEYS[1] the bucket. ARGV: interval, tolerance ((capacity - 1) * interval), the longest
# wait admitted, tolerance withheld (a background call's reserve), a charge added to
# tat (calls made without the bucket), a floor for tat - now applied only when the key
# is missing ("restart drain": Redis forgot a bucket this replica drew from recently),
# all in microseconds; and the bucket's grace in milliseconds (SAVE). Returns
# {admitted (1 or 0), wait in microseconds}.
RESERVE = (
    """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local keep = tonumber(ARGV[4])
local charge = tonumber(ARGV[5])
local restart_drain = tonumber(ARGV[6])
local grace_ms = tonumber(ARGV[7])
"""
    + NOW
    + """
local drain = 0
if restart_drain > 0 and redis.call('EXISTS', KEYS[1]) == 0 then
  drain = restart_drain
end
"""
    + STATE
    + """
local changed = false
if charge > 0 then
  tat = tat + charge
  changed = true
end
if drain > 0 and tat < now + drain then
  tat = now + drain
  changed = true
end
local at = math.max(now, tat - tolerance + keep, paused)
local wait = at - now
local admitted = 0
if wait <= max_wait then
  admitted = 1
  tat = math.max(tat, at) + interval
  changed = true
end
if changed then
"""
    + SAVE
    + """
end
return {admitted, string.format('%.0f', wait)}
"""
)

# KEYS[1] the bucket. ARGV: interval, tolerance, the most tat - now may be after the extra
# tokens (half the bucket), the hold (the extra tokens' slots start no earlier than
# now + hold), all in microseconds; the tokens wanted; the bucket's grace in
# milliseconds (SAVE). Returns {granted (0 when none is free now), wait in microseconds
# (when none was granted)}.
TAKE = (
    """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local half = tonumber(ARGV[3])
local hold = tonumber(ARGV[4])
local want = tonumber(ARGV[5])
local grace_ms = tonumber(ARGV[6])
"""
    + NOW
    + STATE
    + """
local at = math.max(now, tat - tolerance, paused)
if at > now then
  return {0, string.format('%.0f', at - now)}
end
tat = tat + interval
local granted = 1
if want > 1 then
  local start = math.max(tat, now + hold)
  local extra = math.min(want - 1, math.floor((now + half - start) / interval))
  if extra > 0 then
    tat = start + extra * interval
    granted = granted + extra
  end
end
"""
    + SAVE
    + """
return {granted, '0'}
"""
)

# KEYS[1] the bucket. ARGV: capacity * interval (an empty bucket's tat - now), the
# pause, in microseconds; the bucket's grace in milliseconds (SAVE). The bucket is
# emptied and admits nothing until the pause ends.
THROTTLE = (
    """
local empty = tonumber(ARGV[1])
local pause = tonumber(ARGV[2])
local grace_ms = tonumber(ARGV[3])
"""
    + NOW
    + STATE
    + """
tat = math.max(tat, now + empty)
paused = math.max(paused, now + pause)
redis.call('HSET', KEYS[1], 'paused', string.format('%.0f', paused))
"""
    + SAVE
    + """
return 1
"""
)

# KEYS[1] the bucket. How long it still admits nothing, in microseconds (0: not paused).
PAUSED = (
    NOW
    + """
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0
return string.format('%.0f', math.max(0, paused - now))
"""
)

MICROS = 1_000_000


class SharedBuckets:
    """Buckets of one `kind` (a quota, a client limit), one per name, in the fleet's Redis.

    Every method raises FleetUnavailable when Redis cannot be used: the caller then
    keeps to its own, local, limit. A bucket's key lives `grace_s` past the moment the
    bucket is full (and unpaused) again, whichever script wrote it last, so a caller
    that drew from it within that grace knows it must still be there.
    """

    def __init__(
        self,
        fleet: Fleet,
        kind: str,
        *,
        rate_per_s: float,
        capacity: float,
        grace_s: float = 1.0,
    ) -> None:
        self._fleet = fleet
        self._kind = kind
        self._grace_ms = math.ceil(grace_s * 1000)
        self.rate_per_s = rate_per_s
        self.capacity = max(1.0, capacity)
        # Rounded the safe way: calls a little further apart, a burst a little smaller.
        self._interval_us = math.ceil(MICROS / rate_per_s)
        self._tolerance_us = math.floor((self.capacity - 1) * self._interval_us)
        self._reserve = fleet.redis.register_script(RESERVE)
        self._throttle = fleet.redis.register_script(THROTTLE)
        self._paused = fleet.redis.register_script(PAUSED)
        self._take = fleet.redis.register_script(TAKE)

    def key(self, name: str) -> str:
        return self._fleet.keys.key(self._kind, name)

    async def reserve(
        self,
        name: str,
        max_wait_s: float,
        *,
        keep: float = 0.0,
        charge: int = 0,
        restart_drain_s: float = 0.0,
    ) -> float:
        """Take a token from `name`'s bucket; return how long to wait before using it.

        Raises Exhausted (taking nothing) when the wait would exceed `max_wait_s`.
        `keep` tokens must stay in the bucket after this one is taken (what a
        background call leaves for requests). `charge`: first take that many
        tokens, due or not (calls this replica made on its own share while the
        bucket could not be used). `restart_drain_s`: only when the bucket's key is
        missing (Redis lost it: a restart or a flush), first empty the bucket so that
        nothing may go for that long (`drain_s` says how long empties it).
        """
        keep_us = min(self._tolerance_us, math.ceil(keep * self._interval_us))
        args = (
            self._interval_us,
            self._tolerance_us,
            max(0, math.floor(max_wait_s * MICROS)),
            keep_us,
            max(0, charge) * self._interval_us,
            math.ceil(restart_drain_s * MICROS),
            self._grace_ms,
        )
        key = self.key(name)
        reply = await self._fleet.script(self._kind, self._reserve, [key], args)
        admitted, wait_us = _pair(reply)
        if admitted != 1:
            raise Exhausted(wait_us / MICROS)
        return wait_us / MICROS

    async def take(self, name: str, want: int, *, hold_s: float) -> int:
        """Take one token from `name`'s bucket, and up to `want - 1` more to spend
        within `hold_s`; return how many were taken.

        Raises Exhausted (taking nothing) when no token is free now. The extra tokens
        come only while the bucket stays at least half full after them, so near the
        limit every call takes one token, as `reserve(name, 0)` would; and they are
        placed so that spending them up to `hold_s` later never lets the fleet go
        past the bucket's envelope (see the module's docstring). A token not spent
        within `hold_s` must be dropped, never spent later.
        """
        args = (
            self._interval_us,
            self._tolerance_us,
            math.floor((self._tolerance_us + self._interval_us) / 2),
            math.ceil(hold_s * MICROS),
            max(1, want),
            self._grace_ms,
        )
        key = self.key(name)
        reply = await self._fleet.script(self._kind, self._take, [key], args)
        granted, wait_us = _pair(reply)
        if not granted:
            raise Exhausted(wait_us / MICROS)
        return granted

    async def throttle(self, name: str, pause_s: float | None) -> None:
        """Empty `name`'s bucket, and admit nothing for `pause_s` (a vendor's Retry-After)."""
        args = (
            self._tolerance_us + self._interval_us,
            math.ceil((pause_s or 0) * MICROS),
            self._grace_ms,
        )
        key = self.key(name)
        await self._fleet.script(f"{self._kind}_pause", self._throttle, [key], args)

    async def paused_s(self, name: str) -> float:
        """How long `name`'s bucket still admits nothing (a vendor's Retry-After); 0 if
        it is not paused."""
        key = self.key(name)
        reply = await self._fleet.script(f"{self._kind}_paused", self._paused, [key], ())
        return _micros(reply) / MICROS

    def drain_s(self, owed_s: float = 0.0) -> float:
        """The drain that empties the bucket and then owes `owed_s` seconds of its rate."""
        return (self.capacity * self._interval_us) / MICROS + owed_s


def _pair(reply: object) -> tuple[int, int]:
    """A script's {count, microseconds}; anything else is Redis misbehaving."""
    if isinstance(reply, list) and len(reply) == 2:
        count, micros = reply
        if isinstance(count, int) and count >= 0:
            return count, _micros(micros)
    raise FleetUnavailable(f"unexpected reply from the bucket script: {reply!r}")


def _micros(value: object) -> int:
    """Microseconds, as the scripts write them (digits: Lua numbers lose precision)."""
    text = value if isinstance(value, bytes) else str(value).encode()
    if not text.isdigit():
        raise FleetUnavailable(f"unexpected reply from the bucket script: {value!r}")
    return int(text)
