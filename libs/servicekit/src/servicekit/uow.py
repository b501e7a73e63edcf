"""The unit of work: one transaction, its outgoing events and its audit records.

Use it as an async context manager; nothing is kept unless :meth:`commit` is
called. Events given to :meth:`publish` are written to the outbox inside the
same transaction, so a state change and its events commit together or not at
all. Services subclass it to add their repositories.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bizmall_events import Envelope, IntegrationEvent
from servicekit import tracing
from servicekit.audit import AuditRecord
from servicekit.context import current_correlation_id, request_id_var
from servicekit.outbox import OUTBOX_CHANNEL, OutboxRecord


class UnitOfWork:
    """A database transaction that also carries events and audit records."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, producer: str) -> None:
        self._sessions = sessions
        self.producer = producer
        self._pending: list[Envelope] = []
        self._headers: dict[Any, dict[str, Any]] = {}
        self._committed = False

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._pending = []
        self._headers = {}
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    def publish(self, event: IntegrationEvent) -> Envelope:
        """Queue ``event`` to be written to the outbox when the work commits."""
        envelope = Envelope.wrap(
            event, producer=self.producer, correlation_id=current_correlation_id()
        )
        self._pending.append(envelope)
        if tracing.enabled():
            # The trace the event belongs to rides with it through the outbox.
            self._headers[envelope.id] = tracing.inject()
        return envelope

    def audit(self, *, actor: str, action: str, target: str, **details: Any) -> None:
        """Record an ops action (R29) in the same transaction as its effect."""
        self.session.add(
            AuditRecord(
                actor=actor,
                action=action,
                target=target,
                details=details,
                request_id=request_id_var.get(),
            )
        )

    @property
    def pending_events(self) -> list[Envelope]:
        """Events queued so far in this unit of work (for tests and logs)."""
        return list(self._pending)

    async def commit(self) -> None:
        """Write queued events to the outbox and commit everything together."""
        if self._pending:
            self.session.add_all(
                OutboxRecord.of(envelope, self._headers.get(envelope.id))
                for envelope in self._pending
            )
            # Delivered at commit only; wakes the relay at once instead of its poll.
            await self.session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
        await self.session.commit()
        self._committed = True
        self._pending = []
        self._headers = {}

    async def rollback(self) -> None:
        """Drop everything done in this unit of work so far."""
        await self.session.rollback()
        self._pending = []
        self._headers = {}


UnitOfWorkFactory = Callable[[], UnitOfWork]
