"""The unit of work: one transaction, its outgoing events and its audit records.

Use it as an async context manager; nothing is kept unless :meth:`commit` is
called. Repositories hand every aggregate they load or add to :meth:`track`;
at commit the unit of work collects the events those aggregates recorded
(:class:`servicekit.aggregate.Aggregate`), adds any given to :meth:`publish`,
and writes them to the outbox inside the same transaction, so a state change
and its events commit together or not at all.

:class:`BaseUnitOfWork` holds what every unit of work does with events, audit
records and the clock; :class:`UnitOfWork` adds the database transaction and
:class:`servicekit.testing.fakes.FakeUnitOfWork` keeps everything in memory.
Services subclass both to bind their repositories.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bizmall_events import Envelope, IntegrationEvent
from servicekit import tracing
from servicekit.aggregate import Aggregate
from servicekit.audit import AuditRecord, entity_of
from servicekit.clock import Clock
from servicekit.context import current_correlation_id, request_id_var
from servicekit.outbox import OUTBOX_CHANNEL, OutboxRecord

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class AuditEntry:
    """One audited action (R29, R34), written with the change it records."""

    actor: str
    action: str
    target: str
    at: datetime
    entity: str = ""
    member_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None


class BaseUnitOfWork:
    """Events, audit entries and the clock of one unit of work; no storage."""

    def __init__(self, *, producer: str, clock: Clock | None = None) -> None:
        self.producer = producer
        self.clock = clock or Clock()
        self._reset()

    def _reset(self) -> None:
        self._pending: list[Envelope] = []
        self._headers: dict[Any, dict[str, Any]] = {}
        # By identity: an aggregate is tracked once however often it is loaded.
        self._tracked: dict[int, Aggregate] = {}
        self._audits: list[AuditEntry] = []
        self._committed = False

    async def __aenter__(self) -> Self:
        self._reset()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            await self.rollback()

    def now(self) -> datetime:
        """The current moment by the service's clock."""
        return self.clock()

    def track(self, aggregate: A) -> A:
        """Collect ``aggregate``'s recorded events at commit; returns it."""
        self._tracked.setdefault(id(aggregate), aggregate)
        return aggregate

    def publish(self, event: IntegrationEvent) -> Envelope:
        """Queue ``event`` (one no aggregate records) for the outbox at commit."""
        envelope = Envelope.wrap(
            event, producer=self.producer, correlation_id=current_correlation_id()
        )
        self._pending.append(envelope)
        if tracing.enabled():
            # The trace the event belongs to rides with it through the outbox.
            self._headers[envelope.id] = tracing.inject()
        return envelope

    def audit(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        entity: str | None = None,
        member_id: uuid.UUID | str | None = None,
        **details: Any,
    ) -> None:
        """Record an ops or security action in the same transaction as its effect.

        ``actor`` is who did it (an operator's or member's subject, or ``system``),
        ``target`` the id of the thing acted on, ``entity`` its kind (by default
        the action's part before its last segment: ``order.accept`` → ``order``),
        ``member_id`` the member the action concerns, and ``details`` a summary of
        the change.
        """
        self._audits.append(
            AuditEntry(
                actor=actor,
                action=action,
                target=target,
                at=self.clock(),
                entity=entity or entity_of(action),
                member_id=uuid.UUID(str(member_id)) if member_id is not None else None,
                details=details,
                request_id=request_id_var.get(),
            )
        )

    def collect_events(self) -> list[Envelope]:
        """Move the tracked aggregates' recorded events into the queue; all queued so far."""
        for aggregate in self._tracked.values():
            for event in aggregate.collect_events():
                self.publish(event)
        return list(self._pending)

    @property
    def pending_events(self) -> list[Envelope]:
        """Events queued so far in this unit of work (for tests and logs)."""
        return list(self._pending)

    async def commit(self) -> None:
        """Write queued events and audit entries, then make everything durable together."""
        envelopes = self.collect_events()
        await self._write(envelopes, self._headers, list(self._audits))
        self._committed = True
        self._pending = []
        self._headers = {}
        self._audits = []

    async def rollback(self) -> None:
        """Drop everything done in this unit of work so far."""
        await self._discard()
        for aggregate in self._tracked.values():
            aggregate.collect_events()
        self._pending = []
        self._headers = {}
        self._audits = []

    async def _write(
        self,
        envelopes: list[Envelope],
        headers: dict[Any, dict[str, Any]],
        audits: list[AuditEntry],
    ) -> None:
        """Make ``envelopes`` and ``audits`` durable with the work's changes."""
        raise NotImplementedError(f"{type(self).__name__} stores nothing")

    async def _discard(self) -> None:
        """Drop the work's changes."""
        raise NotImplementedError(f"{type(self).__name__} stores nothing")


class UnitOfWork(BaseUnitOfWork):
    """A database transaction that also carries events and audit records."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        producer: str,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(producer=producer, clock=clock)
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            await self.session.close()

    async def flush(self) -> None:
        """Send pending changes to the database without committing (ids, constraints)."""
        await self.session.flush()

    def take_outbox_records(self, aggregate: Aggregate) -> list[OutboxRecord]:
        """The outbox rows of the events ``aggregate`` recorded, left out of :meth:`commit`.

        For a repository whose own statement writes a change and its events in one
        round trip (a hot path): that statement inserts these rows, so they still
        commit with the change, and it wakes the relay itself
        (``pg_notify`` on :data:`~servicekit.outbox.OUTBOX_CHANNEL`). If the
        statement writes nothing, roll back: the events are gone with it.
        """
        records = []
        for event in aggregate.collect_events():
            envelope = self.publish(event)
            self._pending.remove(envelope)
            records.append(OutboxRecord.of(envelope, self._headers.pop(envelope.id, None)))
        return records

    async def _write(
        self,
        envelopes: list[Envelope],
        headers: dict[Any, dict[str, Any]],
        audits: list[AuditEntry],
    ) -> None:
        self.session.add_all(
            AuditRecord(
                actor=entry.actor,
                action=entry.action,
                entity=entry.entity,
                target=entry.target,
                member_id=entry.member_id,
                details=entry.details,
                request_id=entry.request_id,
                at=entry.at,
            )
            for entry in audits
        )
        if envelopes:
            self.session.add_all(
                OutboxRecord.of(envelope, headers.get(envelope.id)) for envelope in envelopes
            )
            # Delivered at commit only; wakes the relay at once instead of its poll.
            await self.session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
        await self.session.commit()

    async def _discard(self) -> None:
        await self.session.rollback()


UnitOfWorkFactory = Callable[[], UnitOfWork]
