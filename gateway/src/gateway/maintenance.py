"""Active maintenance windows (R1), as the notification service publishes them in Redis.

Contract with the notification service — key ``<namespace>:maintenance:active``
(``namespace`` = ``REDIS_NAMESPACE``) holding a JSON list, one item per
window that is active (or about to be)::

    [{"notice_id": "…", "functions": ["ordering", "billing"],
      "starts_at": "2025-01-01T00:00:00+00:00",      (optional)
      "ends_at": "2025-01-01T02:00:00+00:00",
      "message_ja": "…", "message_en": "…"}]

``functions`` are service names. The gateway re-reads the key at most every
``GATEWAY_MAINTENANCE_CACHE_SECONDS`` (a request never waits for Redis
otherwise) and itself checks ``starts_at``/``ends_at`` against the clock, so
a window ends on time even if the key is refreshed late. An absent key means
no maintenance. While Redis is unreachable the last windows read stay in force
until they end.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from servicekit.logging import get_logger

_log = get_logger(__name__)


def maintenance_key(namespace: str) -> str:
    """The Redis key holding the active maintenance windows."""
    return f"{namespace}:maintenance:active"


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """One maintenance window and the services whose writes it holds."""

    notice_id: str
    functions: frozenset[str]
    starts_at: datetime | None
    ends_at: datetime
    message_ja: str
    message_en: str

    def is_active(self, now: datetime) -> bool:
        """Whether the window holds writes at ``now``."""
        started = self.starts_at is None or self.starts_at <= now
        return started and now < self.ends_at


class MaintenanceBoard:
    """The maintenance windows in force, read from Redis through a short cache."""

    def __init__(self, redis: Redis, namespace: str, *, cache_seconds: float) -> None:
        self._redis = redis
        self._key = maintenance_key(namespace)
        self._cache_seconds = cache_seconds
        self._windows: list[MaintenanceWindow] = []
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    async def window_for(self, service: str) -> MaintenanceWindow | None:
        """The active window covering ``service``, if any (the one ending last)."""
        if self._read_at is None or time.monotonic() - self._read_at > self._cache_seconds:
            async with self._lock:
                if self._read_at is None or time.monotonic() - self._read_at > self._cache_seconds:
                    await self._read()
        now = datetime.now(UTC)
        covering = [w for w in self._windows if service in w.functions and w.is_active(now)]
        return max(covering, key=lambda w: w.ends_at, default=None)

    async def _read(self) -> None:
        try:
            raw = await self._redis.get(self._key)
        except (RedisError, OSError) as exc:
            _log.warning("maintenance windows unreadable, keeping the last known", error=str(exc))
        else:
            self._windows = _parse(raw)
        # A failed read is not retried on every request either.
        self._read_at = time.monotonic()


def _parse(raw: bytes | str | None) -> list[MaintenanceWindow]:
    if raw is None:
        return []
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError:
        _log.error("maintenance key is not JSON; ignored")
        return []
    if not isinstance(items, list):
        _log.error("maintenance key is not a JSON list; ignored")
        return []
    windows = []
    for item in items:
        window = _window(item)
        if window is None:
            _log.error("maintenance window malformed; ignored", item=str(item)[:200])
        else:
            windows.append(window)
    return windows


def _window(item: Any) -> MaintenanceWindow | None:
    try:
        starts_at = item.get("starts_at")
        return MaintenanceWindow(
            notice_id=str(item["notice_id"]),
            functions=frozenset(str(name) for name in item["functions"]),
            starts_at=_aware(starts_at) if starts_at else None,
            ends_at=_aware(item["ends_at"]),
            message_ja=str(item.get("message_ja") or ""),
            message_en=str(item.get("message_en") or ""),
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("timestamp without offset")
    return moment
