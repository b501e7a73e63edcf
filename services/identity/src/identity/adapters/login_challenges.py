"""Operators' second factor in Redis (R29): short-lived login challenges and the
TOTP codes already used."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from servicekit.redis import Namespaced

#: A TOTP code stays valid for at most two 30-second steps plus the window.
_USED_CODE_SECONDS = 120


class LoginChallenges:
    """Challenges an operator completes with a TOTP code, one use per code."""

    def __init__(self, redis: Any, namespace: str) -> None:
        self._redis = redis
        self._keys = Namespaced(namespace)

    def _challenge_key(self, challenge: str) -> str:
        return self._keys("login", "challenge", challenge)

    async def open(self, member_id: uuid.UUID, *, ttl_seconds: int) -> str:
        """A new challenge for ``member_id``, valid ``ttl_seconds``."""
        challenge = secrets.token_urlsafe(32)
        await self._redis.set(
            self._challenge_key(challenge), str(member_id).encode(), ex=ttl_seconds
        )
        return challenge

    async def member_of(self, challenge: str) -> uuid.UUID | None:
        """Whose open challenge this is (None when unknown or expired)."""
        value = await self._redis.get(self._challenge_key(challenge))
        return uuid.UUID(value.decode()) if value is not None else None

    async def close(self, challenge: str) -> None:
        await self._redis.delete(self._challenge_key(challenge))

    async def use_code(self, member_id: uuid.UUID, code: str) -> bool:
        """False when ``code`` was used already: a code is good for one login only,
        even within its 30-second step."""
        used = self._keys("login", "totp_used", str(member_id), code)
        return bool(await self._redis.set(used, b"1", ex=_USED_CODE_SECONDS, nx=True))
