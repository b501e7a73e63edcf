"""The pair a refresh token was just rotated into, kept a few seconds in Redis (issue 19
item 6): two tabs refreshing at once both get the same new pair, instead of the second
one looking like a stolen token and revoking the family.

Stored under the digest of the rotated token, sealed with ``SIGNING_KEY_SECRET``, for
``REFRESH_GRACE_SECONDS``: only a holder of the rotated token can ask, and only then.
With Redis unreachable refreshes go on without the grace window (a second use is then
taken for a replay, as before), rather than failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from servicekit.crypto import SecretBox
from servicekit.logging import get_logger
from servicekit.redis import Namespaced

_log = get_logger(__name__)


@dataclass(frozen=True)
class RotatedPair:
    """What a rotation handed out: the new access and refresh tokens."""

    access_token: str
    refresh_token: str


class RecentRotations:
    """Remembers, for a short grace window, the pair each refresh token was rotated into."""

    def __init__(self, redis: Any, namespace: str, box: SecretBox, *, grace_seconds: int) -> None:
        self._redis = redis
        self._keys = Namespaced(namespace)
        self._box = box
        self.grace_seconds = grace_seconds

    def _key(self, token_hash: str) -> str:
        return self._keys("refresh", "rotated", token_hash)

    async def remember(self, token_hash: str, pair: RotatedPair) -> None:
        """Keep ``pair`` as the answer for the token of ``token_hash`` during the grace window."""
        if self.grace_seconds <= 0:
            return
        sealed = self._box.seal(json.dumps([pair.access_token, pair.refresh_token]))
        try:
            await self._redis.set(self._key(token_hash), sealed.encode(), ex=self.grace_seconds)
        except (RedisError, OSError) as exc:
            _log.warning("refresh grace window unavailable", error=str(exc))

    async def recall(self, token_hash: str) -> RotatedPair | None:
        """The pair the token of ``token_hash`` was rotated into, while the window lasts."""
        try:
            sealed = await self._redis.get(self._key(token_hash))
        except (RedisError, OSError) as exc:
            _log.warning("refresh grace window unavailable", error=str(exc))
            return None
        if sealed is None:
            return None
        access, refresh = json.loads(self._box.open(sealed.decode()))
        return RotatedPair(access, refresh)
