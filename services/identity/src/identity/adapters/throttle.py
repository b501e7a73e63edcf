"""Brute-force throttling of logins in Redis, per login ID and per client address (R4).

Failures are counted in a window; past the limit the key is locked for
``LOGIN_LOCKOUT_SECONDS``. Unknown login IDs are counted like known ones, so a
lockout tells nothing about whether an account exists.
"""

from __future__ import annotations

import hashlib

from identity.config import Settings
from servicekit.redis import Namespaced


def _digest(value: str) -> str:
    # Login IDs are personal data: keys hold a digest, not the email.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


class LoginThrottle:
    """Counts failed logins and answers how long a login ID or address is locked."""

    def __init__(self, redis: object, settings: Settings) -> None:
        self._redis = redis
        self._settings = settings
        self._keys = Namespaced(settings.redis_namespace)

    def _scopes(self, login_id: str, ip: str) -> list[tuple[str, str, int]]:
        return [
            ("account", _digest(login_id), self._settings.login_max_failures_per_account),
            ("ip", ip, self._settings.login_max_failures_per_ip),
        ]

    async def locked_for(self, login_id: str, ip: str) -> int:
        """Seconds until a login may be tried again (0 when not locked)."""
        longest = 0
        for scope, value, _limit in self._scopes(login_id, ip):
            ttl = await self._redis.pttl(self._keys("login", "lock", scope, value))  # type: ignore[attr-defined]
            if ttl and ttl > 0:
                longest = max(longest, -(-ttl // 1000))
        return longest

    async def failed(self, login_id: str, ip: str) -> int:
        """Count a failure; returns the lockout seconds when this failure locked a scope."""
        locked = 0
        for scope, value, limit in self._scopes(login_id, ip):
            counter = self._keys("login", "fail", scope, value)
            async with self._redis.pipeline(transaction=True) as pipe:  # type: ignore[attr-defined]
                pipe.incr(counter)
                pipe.expire(counter, self._settings.login_failure_window_seconds, nx=True)
                count, _ = await pipe.execute()
            if count >= limit:
                lockout = self._settings.login_lockout_seconds
                await self._redis.set(  # type: ignore[attr-defined]
                    self._keys("login", "lock", scope, value), b"1", ex=lockout
                )
                await self._redis.delete(counter)  # type: ignore[attr-defined]
                locked = max(locked, lockout)
        return locked

    async def succeeded(self, login_id: str) -> None:
        """Forget the login ID's failures after a correct password."""
        await self._redis.delete(self._keys("login", "fail", "account", _digest(login_id)))  # type: ignore[attr-defined]
