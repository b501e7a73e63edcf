"""Waking the sender as soon as a delivery commits (PostgreSQL LISTEN/NOTIFY)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import asyncpg

from notification.adapters.repository import DELIVERY_CHANNEL
from servicekit.logging import get_logger
from servicekit.relay import asyncpg_dsn

_log = get_logger("notification.sender")


class DeliveryListener:
    """A connection listening for new deliveries; the sender's poll is the fallback."""

    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._connection: asyncpg.Connection | None = None

    async def start(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` on every committed delivery; on failure only log (polling still
        finds every delivery, only later)."""
        try:
            connection = await asyncpg.connect(self._dsn, timeout=5)
            await connection.add_listener(DELIVERY_CHANNEL, lambda *_args: wake())
        except Exception as exc:
            _log.warning("cannot listen for new deliveries; polling", error=str(exc))
            return
        self._connection = connection

    async def stop(self) -> None:
        """Close the connection (best effort)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
