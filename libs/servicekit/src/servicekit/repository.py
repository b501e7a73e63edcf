"""The base of every SQL repository: a session and the unit of work it belongs to."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.aggregate import Aggregate
from servicekit.clock import Clock
from servicekit.uow import UnitOfWork

A = TypeVar("A", bound=Aggregate)


class SqlRepository:
    """Reads and writes one aggregate's tables in its unit of work's transaction.

    A repository hands every aggregate it loads or adds to :meth:`track`, so the
    events the aggregate records are written to the outbox at commit.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.session: AsyncSession = uow.session
        self.clock: Clock = uow.clock
        self._uow = uow

    def track(self, aggregate: A) -> A:
        """Collect ``aggregate``'s recorded events when the unit of work commits."""
        return self._uow.track(aggregate)
