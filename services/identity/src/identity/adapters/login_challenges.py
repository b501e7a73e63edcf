"""Operators' second factor in Redis (R29): short-lived login challenges, the codes
tried on each, and the TOTP codes already used."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from servicekit.redis import Namespaced

#: A TOTP code stays valid for at most two 30-second steps plus the window.
_USED_CODE_SECONDS = 120

# KEYS[1]: the challenge, KEYS[2]: the codes tried on it. ARGV[1]: most codes per challenge.
# Counts one code and returns the challenge's member, or nothing when the challenge is
# unknown, expired or has had its codes (then it is ended). Atomic: parallel codes
# cannot all be tried before the first is counted (issue 19 item 2).
_TRY_CODE = """
local member = redis.call('GET', KEYS[1])
if not member then return false end
local tried = redis.call('INCR', KEYS[2])
if tried == 1 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 1 then ttl = 1 end
  redis.call('PEXPIRE', KEYS[2], ttl)
end
if tried > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return false
end
return member
"""


class LoginChallenges:
    """Challenges an operator completes with a TOTP code, one use per code, a few codes
    per challenge."""

    def __init__(self, redis: Any, namespace: str) -> None:
        self._redis = redis
        self._keys = Namespaced(namespace)
        self._try_code = redis.register_script(_TRY_CODE)

    def _challenge_key(self, challenge: str) -> str:
        return self._keys("login", "challenge", challenge)

    def _tried_key(self, challenge: str) -> str:
        return self._keys("login", "challenge_tried", challenge)

    async def open(self, member_id: uuid.UUID, *, ttl_seconds: int) -> str:
        """A new challenge for ``member_id``, valid ``ttl_seconds``."""
        challenge = secrets.token_urlsafe(32)
        await self._redis.set(
            self._challenge_key(challenge), str(member_id).encode(), ex=ttl_seconds
        )
        return challenge

    async def try_code(self, challenge: str, *, max_codes: int) -> uuid.UUID | None:
        """Count one code tried on ``challenge``: whose challenge it is, or None when it is
        unknown, expired, or had its ``max_codes`` (the challenge is then ended)."""
        value = await self._try_code(
            keys=[self._challenge_key(challenge), self._tried_key(challenge)], args=[max_codes]
        )
        return uuid.UUID(value.decode()) if value else None

    async def wrong_code(self, challenge: str, *, max_codes: int) -> None:
        """A wrong code was tried: the challenge ends once it had ``max_codes`` of them."""
        tried = await self._redis.get(self._tried_key(challenge))
        if tried is not None and int(tried) >= max_codes:
            await self.close(challenge)

    async def close(self, challenge: str) -> None:
        await self._redis.delete(self._challenge_key(challenge), self._tried_key(challenge))

    async def use_code(self, member_id: uuid.UUID, code: str) -> bool:
        """False when ``code`` was used already: a code is good for one login only,
        even within its 30-second step."""
        used = self._keys("login", "totp_used", str(member_id), code)
        return bool(await self._redis.set(used, b"1", ex=_USED_CODE_SECONDS, nx=True))
