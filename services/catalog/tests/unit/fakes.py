"""The catalog's unit of work and service repository, in memory (no database)."""

from __future__ import annotations

import uuid
from datetime import datetime

from bizmall_events.catalog import ServiceSnapshot
from catalog.domain.model import Service
from servicekit.pagination import Page, decode_cursor, page_of
from servicekit.testing.fakes import FakeUnitOfWork, InMemoryRepository
from servicekit.uow import BaseUnitOfWork


class InMemoryServiceRepository(InMemoryRepository[uuid.UUID, ServiceSnapshot]):
    """``ServiceRepository`` over dicts: current versions in ``items``, all in ``versions``."""

    def __init__(self, uow: BaseUnitOfWork) -> None:
        super().__init__(uow, key=lambda snapshot: snapshot.service_id)
        self.versions: dict[tuple[uuid.UUID, int], ServiceSnapshot] = {}
        self.authors: dict[tuple[uuid.UUID, int], str] = {}

    async def get(self, service_id: uuid.UUID) -> Service | None:
        current = self.items.get(service_id)
        return self._track(Service(current=current)) if current is not None else None

    async def save(self, service: Service, *, actor: str) -> None:
        self._track(service)
        for snapshot in service.collect_new_versions():
            key = (snapshot.service_id, snapshot.service_version)
            if key in self.versions:
                raise ValueError(f"version {key} is stored already; versions never change")
            self.versions[key] = snapshot
            self.authors[key] = actor
            self.put(snapshot)

    async def slug_taken(self, slug: str) -> bool:
        return any(snapshot.slug == slug for snapshot in self)

    async def current(self, service_id: uuid.UUID) -> ServiceSnapshot | None:
        return self.items.get(service_id)

    async def version(self, service_id: uuid.UUID, version: int) -> ServiceSnapshot | None:
        return self.versions.get((service_id, version))

    async def lineup(
        self,
        *,
        statuses: tuple[str, ...],
        category: str | None,
        query: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ServiceSnapshot]:
        after = decode_cursor(cursor, str)[0] if cursor else None
        needle = (query or "").casefold()
        rows = sorted(
            (
                s
                for s in self
                if s.status in statuses
                and (not category or s.category == category)
                and (
                    not needle
                    or any(
                        needle in text.casefold()
                        for text in (s.name.ja, s.name.en, s.description.ja, s.description.en)
                    )
                )
                and (after is None or s.slug > after)
            ),
            key=lambda s: s.slug,
        )
        return page_of(rows[: limit + 1], limit=limit, key=lambda s: (s.slug,))


class FakeCatalogUnitOfWork(FakeUnitOfWork):
    """``CatalogUnitOfWork`` in memory; its repository outlives each ``async with``."""

    def __init__(self, *, now: datetime | None = None) -> None:
        super().__init__(producer="catalog", now=now)
        self.services = InMemoryServiceRepository(self)
