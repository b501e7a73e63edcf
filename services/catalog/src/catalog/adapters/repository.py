"""Reading and writing services and their versions."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col

from bizmall_events.catalog import ServiceSnapshot
from catalog.adapters.tables import ServiceRow, ServiceVersionRow
from catalog.domain.model import Service
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository

#: The lineup's key. Typed, so that a cursor of another listing is refused
#: (the slug column's own type, SQLModel's ``AutoString``, names no Python type).
_BY_SLUG = sa.type_coerce(col(ServiceRow.slug), sa.String())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ServiceRepository(SqlRepository):
    """Services in the unit of work's transaction; every version ever made is kept (R28)."""

    async def get(self, service_id: uuid.UUID) -> Service | None:
        """The service, locked until the transaction ends, to be changed."""
        row = await self.session.get(ServiceRow, service_id, with_for_update=True)
        if row is None:
            return None
        return self.track(Service(current=ServiceSnapshot.model_validate(row.snapshot)))

    async def save(self, service: Service, *, actor: str) -> None:
        """Store the versions ``service`` made as new rows; the last becomes its current one."""
        self.track(service)
        for snapshot in service.collect_new_versions():
            await self._store(snapshot, actor=actor)

    async def _store(self, snapshot: ServiceSnapshot, *, actor: str) -> None:
        data = snapshot.model_dump(mode="json")
        now = self.clock()
        values = {
            "slug": snapshot.slug,
            "status": snapshot.status,
            "category": snapshot.category,
            "current_version": snapshot.service_version,
            "name_ja": snapshot.name.ja,
            "name_en": snapshot.name.en,
            "description_ja": snapshot.description.ja,
            "description_en": snapshot.description.en,
            "snapshot": data,
            "updated_at": now,
        }
        row = await self.session.get(ServiceRow, snapshot.service_id)
        if row is None:
            self.session.add(ServiceRow(id=snapshot.service_id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        # The service row first: the version row's foreign key points at it.
        await self.session.flush()
        self.session.add(
            ServiceVersionRow(
                service_id=snapshot.service_id,
                version=snapshot.service_version,
                status=snapshot.status,
                snapshot=data,
                created_by=actor,
                created_at=now,
            )
        )
        await self.session.flush()

    async def slug_taken(self, slug: str) -> bool:
        """Whether a service already uses ``slug``."""
        found = await self.session.scalar(
            sa.select(col(ServiceRow.id)).where(col(ServiceRow.slug) == slug)
        )
        return found is not None

    async def current(self, service_id: uuid.UUID) -> ServiceSnapshot | None:
        """The latest version of a service, to read."""
        row = await self.session.get(ServiceRow, service_id)
        return ServiceSnapshot.model_validate(row.snapshot) if row is not None else None

    async def version(self, service_id: uuid.UUID, version: int) -> ServiceSnapshot | None:
        """One stored version of a service."""
        row = await self.session.get(ServiceVersionRow, (service_id, version))
        return ServiceSnapshot.model_validate(row.snapshot) if row is not None else None

    async def lineup(
        self,
        *,
        statuses: tuple[str, ...],
        category: str | None,
        query: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ServiceSnapshot]:
        """Current snapshots in ``statuses``, filtered, by slug, ``limit`` per page.

        Raises ``servicekit.pagination.InvalidCursor`` for a cursor it did not hand out.
        """
        stmt = sa.select(col(ServiceRow.snapshot), _BY_SLUG.label("slug")).where(
            col(ServiceRow.status).in_(statuses)
        )
        if category:
            stmt = stmt.where(col(ServiceRow.category) == category)
        if query:
            pattern = f"%{_escape_like(query)}%"
            stmt = stmt.where(
                sa.or_(
                    *(
                        column.ilike(pattern, escape="\\")
                        for column in (
                            col(ServiceRow.name_ja),
                            col(ServiceRow.name_en),
                            col(ServiceRow.description_ja),
                            col(ServiceRow.description_en),
                        )
                    )
                )
            )
        stmt = after_cursor(stmt, [_BY_SLUG], cursor).limit(limit + 1)
        page = page_of(
            (await self.session.execute(stmt)).all(), limit=limit, key=lambda r: (r.slug,)
        )
        return Page(
            items=[ServiceSnapshot.model_validate(row.snapshot) for row in page.items],
            next_cursor=page.next_cursor,
        )
