"""Fixed-window rate limits counted in Redis.

One key per (rate class, caller): ``<namespace>:ratelimit:<class>:<caller>``.
A Lua script increments it and starts its expiry on the first hit of a window
in one atomic step, so concurrent gateway workers and replicas share one count
and a key can never be left without an expiry.

When Redis is unreachable :class:`RateLimiterUnavailable` is raised; the
caller decides whether that fails closed (login, registration, password reset:
503) or open (other writes).
"""

from __future__ import annotations

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
