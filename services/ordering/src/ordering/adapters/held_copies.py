"""The local copies as this process last read them: what an order is checked against in memory.

Placing an order needs the service's current version (a whole catalog snapshot,
parsed) and the member's copy. Reading and parsing them on every order cost a
sixth of its time, so the repositories keep what they read here, bounded and
least-recently-used first out:

- a catalog version by ``(service_id, version)``: catalog never changes a
  published version, it publishes the next one, so such an entry is never stale;
- which version is current, by service, and the member's copy with its
  ``aggregate_version``, by member: these do move on (a new version, a profile
  change, a withdrawal). They are only a guess: the statement that stores an
  order on them (:meth:`ordering.adapters.repository.OrderRepository.place_if_held`)
  checks in the database that both are still what was held, and stores nothing
  otherwise; the caller then reads the copies again. A consumer in this process
  also forgets them when it stores a newer copy.

One set per database a process talks to (its session factory), shared by every
unit of work of that database: in a test run each app keeps its own.
"""

from __future__ import annotations

import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bizmall_events import ServiceSnapshot
from ordering.domain.member import Member

K = TypeVar("K")
V = TypeVar("V")

#: Service versions held (a snapshot is a few kilobytes parsed; the lineup is tens).
SERVICE_VERSIONS = 512
#: Members held: the ones ordering now; a member not held is read again.
MEMBERS = 10_000


class Lru(Generic[K, V]):
    """A map of at most ``limit`` entries that drops the least recently used first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value held for ``key`` (now the most recently used), or None."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Hold ``value`` for ``key``, dropping the least recently used beyond the limit."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def forget(self, key: K) -> None:
        """Drop what is held for ``key``, if anything."""
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


@dataclass(frozen=True)
class HeldMember:
    """A member's copy at ``version``; both None when identity's events had not arrived."""

    member: Member | None
    version: int | None


class HeldCopies:
    """Catalog versions, current versions and member copies this process last read."""

    def __init__(self, *, services: int = SERVICE_VERSIONS, members: int = MEMBERS) -> None:
        self.versions: Lru[tuple[uuid.UUID, int], ServiceSnapshot] = Lru(services)
        self.current: Lru[uuid.UUID, int] = Lru(services)
        self.members: Lru[uuid.UUID, HeldMember] = Lru(members)

    def current_snapshot(self, service_id: uuid.UUID) -> ServiceSnapshot | None:
        """The version of ``service_id`` last read as current, if it is still held."""
        version = self.current.get(service_id)
        return self.versions.get((service_id, version)) if version is not None else None

    def hold_current(self, snapshot: ServiceSnapshot) -> None:
        """Remember ``snapshot`` as its service's current version."""
        self.versions.put((snapshot.service_id, snapshot.service_version), snapshot)
        self.current.put(snapshot.service_id, snapshot.service_version)


_BY_DATABASE: weakref.WeakKeyDictionary[Any, HeldCopies] = weakref.WeakKeyDictionary()


def held_copies(sessions: Any) -> HeldCopies:
    """The copies held for the database of ``sessions`` (a session factory), made on first use."""
    held = _BY_DATABASE.get(sessions)
    if held is None:
        held = _BY_DATABASE[sessions] = HeldCopies()
    return held
