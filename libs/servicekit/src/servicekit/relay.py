"""The outbox relay: publishes committed outbox rows with confirms, then marks them sent.

It runs in every worker replica. Rows are claimed with ``FOR UPDATE SKIP
LOCKED``, so two relays never publish the same row at the same time; a crash
between the broker's confirm and the commit republishes a row, which the
consumers' inbox absorbs (at-least-once on the wire, effectively once in
effect). Commits ``NOTIFY`` the relay, so a healthy system publishes at once;
the poll is only the fallback. While the broker is down the rows wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import asyncpg
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from servicekit import metrics, tracing
from servicekit.bus import EventBus
from servicekit.clock import system_clock
from servicekit.logging import get_logger
from servicekit.outbox import OUTBOX_CHANNEL, OutboxRecord


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """A DSN asyncpg accepts, from a ``postgresql+asyncpg://`` URL."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


_log = get_logger("servicekit.relay")


class OutboxRelay:
    """Moves events from a service's outbox to the broker."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        database_url: str,
        poll_seconds: float = 2.0,
        batch_size: int = 200,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.database_url = database_url
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._wake = asyncio.Event()

    async def publish_batch(self) -> int:
        """Publish up to one batch of unsent rows; returns how many were sent."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                select(OutboxRecord)
                .where(col(OutboxRecord.published_at).is_(None))
                .order_by(col(OutboxRecord.created_at))
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list(result.scalars())
            if not rows:
                return 0
            await asyncio.gather(*(self._publish(row) for row in rows))
            sent_at = system_clock()
            for row in rows:
                row.published_at = sent_at
        return len(rows)

    async def _publish(self, row: OutboxRecord) -> None:
        if not tracing.enabled():
            await self.bus.publish(row.envelope, headers=row.headers)
        else:
            # A producer span under the work that published the event; the
            # consumer's span continues from the traceparent sent with it.
            with tracing.span(
                f"{row.type} publish",
                kind=tracing.SpanKind.PRODUCER,
                parent=row.headers,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "publish",
                    "messaging.destination.name": self.bus.exchange_name,
                    "messaging.message.id": str(row.id),
                },
            ):
                headers = {k: v for k, v in row.headers.items() if k not in tracing.CONTEXT_HEADERS}
                await self.bus.publish(row.envelope, headers=tracing.inject(headers))
        metrics.OUTBOX_PUBLISHED.labels(row.type).inc()

    async def drain(self) -> int:
        """Publish until nothing is left; returns the number sent."""
        total = 0
        while True:
            sent = await self.publish_batch()
            total += sent
            if sent < self.batch_size:
                return total

    async def prune(self, *, older_than: timedelta = timedelta(days=7)) -> int:
        """Delete rows published longer ago than ``older_than``."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(OutboxRecord).where(
                    col(OutboxRecord.published_at) < system_clock() - older_than
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set, waking on NOTIFY or every ``poll_seconds``."""
        listener = asyncio.create_task(self._listen(stop))
        backoff = 0.5
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    sent = await self.drain()
                    if sent:
                        _log.debug("outbox published", count=sent)
                    backoff = 0.5
                    timeout = self.poll_seconds
                except Exception as exc:
                    _log.warning("outbox relay cannot publish yet", error=str(exc))
                    timeout = backoff
                    backoff = min(backoff * 2, 15.0)
                await _wait_any(self._wake, stop, timeout=timeout)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener

    async def _listen(self, stop: asyncio.Event) -> None:
        """Keep a LISTEN connection open; reconnect after database restarts."""
        while not stop.is_set():
            connection = None
            try:
                connection = await asyncpg.connect(asyncpg_dsn(self.database_url), timeout=5)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(OUTBOX_CHANNEL, lambda *_a: self._wake.set())
                self._wake.set()  # catch up on anything committed while not listening
                await _wait_any(lost, stop, timeout=None)
            except Exception:
                await _wait_any(stop, timeout=2.0)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)


async def _wait_any(*events: asyncio.Event, timeout: float | None) -> None:
    """Wait until one of ``events`` is set or ``timeout`` seconds pass."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
