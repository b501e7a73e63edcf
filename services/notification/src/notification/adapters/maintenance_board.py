"""The maintenance windows as the gateway reads them from Redis (R1).

The contract is the gateway's (``gateway.maintenance``): key
``<namespace>:maintenance:active`` holding a JSON list of
``{notice_id, functions, starts_at, ends_at, message_ja, message_en}``. The key
has no expiry: if notification is down, the windows already announced must still hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from servicekit.redis import key


def maintenance_key(namespace: str) -> str:
    """The Redis key the gateway reads the windows from."""
    return key(namespace, "maintenance", "active")


class MaintenanceBoard:
    """Where notification writes the windows the gateway enforces."""

    def __init__(self, redis: Any, namespace: str) -> None:
        self._redis = redis
        self._key = maintenance_key(namespace)

    async def write(self, windows: Sequence[dict[str, Any]]) -> None:
        """Replace every window the gateway knows with ``windows``."""
        await self._redis.set(self._key, orjson.dumps(list(windows)))
