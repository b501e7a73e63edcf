"""Fixed-window rate limits counted in Redis.

One key per (rate class, caller): ``<namespace>:ratelimit:<class>:<caller>``.
An anonymous caller is its address (:func:`client_key`): an IPv4 address as
it is, an IPv6 address as its /64 — one subscriber usually holds a whole /64
and can take a new address in it for every request.
A Lua script increments it and starts its expiry on the first hit of a window
in one atomic step, so concurrent gateway workers and replicas share one count
and a key can never be left without an expiry.

When Redis is unreachable :class:`RateLimiterUnavailable` is raised; the
caller decides whether that fails closed (login, registration, password reset:
503) or open (other writes).
"""

from __future__ import annotations

import functools
import ipaddress
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.config import RateClass, RateLimit

_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


#: Prefix length an IPv6 client is counted by (one subscriber's usual allocation).
IPV6_CLIENT_PREFIX = 64


# Parsing an address costs more than the rest of a counted read's own work; the
# same few clients come again and again.
@functools.lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """The rate-limit identity of a client address: IPv4 as is, IPv6 by its /64.

    An IPv4-mapped IPv6 address (``::ffff:192.0.2.7``) counts as its IPv4
    address; anything that is not an address (``unknown``) is used as it is.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


class RateLimiterUnavailable(Exception):
    """Redis could not be asked; the limit is unknown."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one counted request."""

    allowed: bool
    retry_after_seconds: int


class RateLimiter:
    """Counts requests per caller and rate class against the configured limits."""

    def __init__(self, redis: Redis, namespace: str, limits: dict[RateClass, RateLimit]) -> None:
        self._namespace = namespace
        self._limits = limits
        self._hit = redis.register_script(_HIT)

    async def hit(self, rate_class: RateClass, caller: str) -> Verdict:
        """Count one request of ``caller`` in ``rate_class`` and say whether it may pass."""
        limit = self._limits[rate_class]
        key = f"{self._namespace}:ratelimit:{rate_class}:{caller}"
        try:
            count, ttl_ms = await self._hit(keys=[key], args=[limit.window_seconds * 1000])
        except (RedisError, OSError) as exc:
            raise RateLimiterUnavailable(str(exc)) from exc
        return Verdict(
            allowed=int(count) <= limit.limit,
            retry_after_seconds=max(1, math.ceil(int(ttl_ms) / 1000)),
        )
