import hashlib
import uuid

import pytest
import redis.asyncio as redis

from bench.redis_server import RedisServer
from gateway.fleet import Fleet
from gateway.http import ClientRateLimit
from tests.conftest import settings_for


async def test_redis_never_sees_a_client_address_nor_its_plain_hash(
    redis_server: RedisServer,
) -> None:
    settings = settings_for(
        "http://127.0.0.1:1",
        redis_url=redis_server.url,
        redis_key_prefix=f"t-{uuid.uuid4().hex[:8]}",
    )
    fleet = Fleet.from_settings(settings)
    assert fleet is not None
    limit = ClientRateLimit(600, fleet=fleet, key_secret=b"k" * 32)
    other = ClientRateLimit(600, fleet=fleet, key_secret=b"o" * 32)
    await limit.admit("203.0.113.7")
    client = redis.Redis.from_url(redis_server.url)
    try:
        keys = [
            key.decode() async for key in client.scan_iter(match=f"{settings.redis_key_prefix}:*")
        ]
    finally:
        await client.aclose()
    await fleet.aclose()
    plain = hashlib.sha256(b"203.0.113.7").hexdigest()[:32]
    assert keys == [fleet.keys.key("client_rate", limit.key("203.0.113.7"))]
    assert not any(plain in key or "203.0.113.7" in key for key in keys)
    assert limit.key("203.0.113.7") != other.key("203.0.113.7")  # keyed by the secret


def test_a_fleet_wide_client_limit_needs_a_key_secret() -> None:
    fleet = Fleet.from_settings(settings_for("http://127.0.0.1:1", redis_url="redis://127.0.0.1:1"))
    assert fleet is not None
    with pytest.raises(ValueError, match="key_secret"):
        ClientRateLimit(600, fleet=fleet)
