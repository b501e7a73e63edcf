"""The outbox relay: publishes committed outbox rows with confirms, then marks them sent.

It runs in every worker replica. Rows are claimed with ``FOR UPDATE SKIP
LOCKED``, so two relays never publish the same row at the same time; a crash
between the broker's confirm and the commit republishes a row, which the
consumers' inbox absorbs (at-least-once on the wire, effectively once in
effect). Commits ``NOTIFY`` the relay, so a healthy system publishes at once;
the poll is only the fallback. While the broker is down the rows wait.

A message the broker returns as unroutable (no queue bound for its event type:
a first install where the consumer has not started yet, or a new subscription
not yet deployed) is not sent: its row stays unpublished and its event type is
retried with a growing delay (1 s doubling to 30 s), while rows of other types
go on. Once the consumer has declared its queue, the next pass delivers the
event. A row still unroutable :data:`UNROUTABLE_GRACE` after its commit is
given up (marked published, logged and counted), so a consumer that never comes
cannot fill the outbox forever. An event whose contract says nobody consumes it
(``CONSUMED = False``, SPEC §5) is published without ``mandatory``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bizmall_events import EVENT_TYPES
from servicekit import metrics, tracing
from servicekit.bus import EventBus, Unroutable
from servicekit.clock import system_clock
from servicekit.logging import get_logger
from servicekit.outbox import OUTBOX_CHANNEL, OutboxRecord


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """A DSN asyncpg accepts, from a ``postgresql+asyncpg://`` URL."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


_log = get_logger("servicekit.relay")

#: How long an unroutable event is retried before it is given up.
UNROUTABLE_GRACE = timedelta(hours=24)
#: First and longest delay between two tries of an unroutable event type.
UNROUTABLE_FIRST_DELAY = 1.0
UNROUTABLE_MAX_DELAY = 30.0


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
        unroutable_grace: timedelta = UNROUTABLE_GRACE,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.database_url = database_url
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.unroutable_grace = unroutable_grace
        self._wake = asyncio.Event()
        #: Event type → (monotonic time of its next try, current delay): types the
        #: broker returned as unroutable, skipped until then.
        self._deferred: dict[str, tuple[float, float]] = {}

    async def publish_batch(self) -> int:
        """Publish up to one batch of unsent rows; returns how many were sent."""
        return (await self._publish_batch())[1]

    async def _publish_batch(self) -> tuple[int, int]:
        """One batch: (rows claimed, rows sent). Rows confirmed by the broker are
        marked sent even when others failed; then the first failure is raised."""
        failure: BaseException | None = None
        async with self.sessions() as session, session.begin():
            query = (
                select(OutboxRecord)
                .where(col(OutboxRecord.published_at).is_(None))
                .order_by(col(OutboxRecord.created_at))
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            waiting = self._waiting_types()
            if waiting:
                query = query.where(col(OutboxRecord.type).not_in(waiting))
            rows = list((await session.execute(query)).scalars())
            if not rows:
                return 0, 0
            outcomes = await asyncio.gather(
                *(self._publish(row) for row in rows), return_exceptions=True
            )
            sent_at = system_clock()
            sent = 0
            for row, outcome in zip(rows, outcomes, strict=True):
                if outcome is None:
                    row.published_at = sent_at
                    sent += 1
                    self._deferred.pop(row.type, None)
                elif isinstance(outcome, Unroutable):
                    if self._give_up(row, sent_at):
                        row.published_at = sent_at
                elif failure is None:
                    failure = outcome
        if failure is not None:
            raise failure
        return len(rows), sent

    def _waiting_types(self) -> list[str]:
        now = time.monotonic()
        return sorted(kind for kind, (retry_at, _) in self._deferred.items() if retry_at > now)

    def _give_up(self, row: OutboxRecord, now: datetime) -> bool:
        """Note an unroutable row: True when it is past the grace and given up."""
        metrics.OUTBOX_UNROUTABLE.labels(row.type).inc()
        if row.created_at < now - self.unroutable_grace:
            _log.error(
                "unroutable event given up: no queue was bound for its type",
                event_type=row.type,
                event_id=str(row.id),
                grace_seconds=self.unroutable_grace.total_seconds(),
            )
            return True
        _, last_delay = self._deferred.get(row.type, (0.0, 0.0))
        if last_delay and self._deferred[row.type][0] > time.monotonic():
            return False  # already deferred by another row of this batch
        delay = min(last_delay * 2, UNROUTABLE_MAX_DELAY) if last_delay else UNROUTABLE_FIRST_DELAY
        self._deferred[row.type] = (time.monotonic() + delay, delay)
        _log.warning(
            "event unroutable: no queue bound for its type yet; kept for a later try",
            event_type=row.type,
            retry_in_seconds=delay,
        )
        return False

    async def _publish(self, row: OutboxRecord) -> None:
        contract = EVENT_TYPES.get(row.type)
        # An event no service consumes (SPEC §5) is never kept waiting for a queue.
        mandatory = contract.CONSUMED if contract is not None else True
        if not tracing.enabled():
            await self.bus.publish(row.envelope, headers=row.headers, mandatory=mandatory)
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
                await self.bus.publish(
                    row.envelope, headers=tracing.inject(headers), mandatory=mandatory
                )
        metrics.OUTBOX_PUBLISHED.labels(row.type).inc()

    async def drain(self) -> int:
        """Publish until nothing is left; returns the number sent."""
        total = 0
        while True:
            claimed, sent = await self._publish_batch()
            total += sent
            if claimed < self.batch_size:
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
                    timeout = min(self.poll_seconds, self._next_retry_in())
                except Exception as exc:
                    _log.warning("outbox relay cannot publish yet", error=str(exc))
                    timeout = backoff
                    backoff = min(backoff * 2, 15.0)
                await _wait_any(self._wake, stop, timeout=timeout)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener

    def _next_retry_in(self) -> float:
        """Seconds until a deferred (unroutable) event type may be tried again."""
        if not self._deferred:
            return float("inf")
        soonest = min(retry_at for retry_at, _ in self._deferred.values())
        return max(soonest - time.monotonic(), 0.05)

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
