"""In-memory stand-ins for a service's ports: a fake unit of work and repositories.

Service-layer unit tests run handlers against these, with no database, broker or
Redis reachable. A service subclasses :class:`FakeUnitOfWork` to bind in-memory
versions of its repositories (subclasses of :class:`InMemoryRepository`), the
same way its real unit of work binds the SQL ones.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from bizmall_events import EVENT_TYPES, Envelope, IntegrationEvent
from servicekit.aggregate import Aggregate
from servicekit.clock import Clock
from servicekit.uow import AuditEntry, BaseUnitOfWork

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
E = TypeVar("E", bound=IntegrationEvent)


class FakeUnitOfWork(BaseUnitOfWork):
    """A unit of work that keeps what it commits in lists.

    ``committed`` counts commits, ``rollbacks`` rollbacks; ``events`` and
    ``audit_log`` hold what was committed, in order. The clock is pinned when
    ``now`` is given.
    """

    def __init__(self, *, producer: str = "test", now: datetime | None = None) -> None:
        super().__init__(producer=producer, clock=Clock(now))
        self.committed = 0
        self.rollbacks = 0
        self.envelopes: list[Envelope] = []
        self.audit_log: list[AuditEntry] = []

    async def flush(self) -> None:
        """Nothing to send: in-memory repositories apply changes at once."""
        return None

    async def _write(
        self,
        envelopes: list[Envelope],
        headers: dict[Any, dict[str, Any]],
        audits: list[AuditEntry],
    ) -> None:
        self.envelopes.extend(envelopes)
        self.audit_log.extend(audits)
        self.committed += 1

    async def _discard(self) -> None:
        self.rollbacks += 1

    @property
    def events(self) -> list[IntegrationEvent]:
        """The committed events, read back into their contracts, in order."""
        return [EVENT_TYPES[e.type].model_validate(e.data) for e in self.envelopes]

    def events_of(self, contract: type[E]) -> list[E]:
        """The committed events of one contract, in order."""
        return [e for e in self.events if isinstance(e, contract)]

    def audited(self, action: str) -> list[AuditEntry]:
        """The committed audit entries of one action."""
        return [entry for entry in self.audit_log if entry.action == action]


class InMemoryRepository(Generic[K, T]):
    """Items in a dict keyed by ``key(item)``; aggregates are tracked by the unit of work."""

    def __init__(self, uow: BaseUnitOfWork, key: Callable[[T], K]) -> None:
        self._uow = uow
        self._key = key
        self.items: dict[K, T] = {}

    def _track(self, item: T) -> T:
        if isinstance(item, Aggregate):
            self._uow.track(item)
        return item

    def put(self, item: T) -> T:
        """Store (or replace) ``item``."""
        self.items[self._key(item)] = item
        return self._track(item)

    def find(self, key: K) -> T | None:
        """The stored item with ``key``, tracked; None when absent."""
        item = self.items.get(key)
        return self._track(item) if item is not None else None

    def where(self, predicate: Callable[[T], bool]) -> list[T]:
        """Stored items matching ``predicate``, in insertion order, tracked."""
        return [self._track(item) for item in self.items.values() if predicate(item)]

    def __iter__(self) -> Iterator[T]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)
