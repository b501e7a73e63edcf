"""Redis keys live under the run's namespace."""

from __future__ import annotations

import pytest

from servicekit.redis import Namespaced, create_redis, key
from servicekit.testing.infra import Infra


def test_key_joins_namespace_and_parts() -> None:
    assert key("bizmall", "rate", "login", "203.0.113.9") == "bizmall:rate:login:203.0.113.9"
    assert Namespaced("t1")("session", "m-1") == "t1:session:m-1"


@pytest.mark.parametrize(("namespace", "parts"), [("", ("a",)), ("bizmall", ())])
def test_key_needs_a_namespace_and_a_part(namespace: str, parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        key(namespace, *parts)


@pytest.mark.integration
async def test_client_round_trips_bytes_under_the_namespace(infra: Infra) -> None:
    keys = Namespaced(infra.redis_namespace)
    client = create_redis(infra.redis_url, client_name="servicekit-test")
    try:
        await client.set(keys("probe", "bytes"), "日本語".encode(), ex=60)

        assert await client.get(keys("probe", "bytes")) == "日本語".encode()
        assert await client.exists(f"{infra.redis_namespace}:probe:bytes") == 1
    finally:
        await client.delete(keys("probe", "bytes"))
        await client.aclose()
