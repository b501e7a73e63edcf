"""Redis clients and key names.

Every key a service writes starts with its ``REDIS_NAMESPACE`` (``bizmall``
in production, a unique value per test run), so tests sharing one Redis never
see each other's keys.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def create_redis(url: str, *, client_name: str | None = None) -> Redis:
    """An asyncio Redis client for ``url`` (bytes in, bytes out).

    Timeouts are short because Redis holds caches and rate limits, never the
    only copy of anything: a slow Redis must fail a call, not hang it. Idle
    pooled connections are checked before reuse, and a command that meets a
    connection the server closed meanwhile (a Redis restart shorter than the
    check interval) is retried once on a new connection, so a Redis restart
    costs no failed request.
    """
    return Redis.from_url(
        url,
        decode_responses=False,
        socket_connect_timeout=2.0,
        socket_timeout=2.0,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),
        client_name=client_name,
    )


def key(namespace: str, *parts: str) -> str:
    """The key ``<namespace>:<part>:<part>…`` (``key("bizmall", "rate", "login", ip)``)."""
    if not namespace or not parts:
        raise ValueError("a Redis key needs a namespace and at least one part")
    return ":".join((namespace, *parts))


class Namespaced:
    """Builds keys under one namespace: ``keys = Namespaced(settings.redis_namespace)``,
    then ``keys("session", member_id)``."""

    def __init__(self, namespace: str) -> None:
        if not namespace:
            raise ValueError("a Redis namespace must not be empty")
        self.namespace = namespace

    def __call__(self, *parts: str) -> str:
        """The key for ``parts`` under this namespace."""
        return key(self.namespace, *parts)
