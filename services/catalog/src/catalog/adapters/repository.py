"""Reading and writing services and their versions."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bizmall_events.catalog import ServiceSnapshot
from catalog.adapters.tables import ServiceRow, ServiceVersionRow
from catalog.domain.model import SLUG_PATTERN
from servicekit.clock import system_clock

_SLUG = re.compile(SLUG_PATTERN)


class InvalidCursor(ValueError):
    """A pagination cursor this service did not hand out."""


def encode_cursor(slug: str) -> str:
    """The opaque cursor that continues a listing after ``slug``."""
    return base64.urlsafe_b64encode(slug.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The slug inside ``cursor``; raises :class:`InvalidCursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        slug = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor(cursor) from None
    if not _SLUG.fullmatch(slug):
        raise InvalidCursor(cursor)
    return slug


@dataclass(frozen=True)
class LineupPage:
    """One page of current snapshots, ordered by slug."""

    items: list[ServiceSnapshot]
    next_cursor: str | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ServiceRepository:
    """Services in one session; callers own the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(
        self, service_id: uuid.UUID, *, for_update: bool = False
    ) -> ServiceSnapshot | None:
        """The latest version of a service (locked for a change when ``for_update``)."""
        row = await self.session.get(ServiceRow, service_id, with_for_update=for_update)
        return ServiceSnapshot.model_validate(row.snapshot) if row is not None else None

    async def slug_taken(self, slug: str) -> bool:
        """Whether a service already uses ``slug``."""
        found = await self.session.scalar(
            sa.select(col(ServiceRow.id)).where(col(ServiceRow.slug) == slug)
        )
        return found is not None

    async def version(self, service_id: uuid.UUID, version: int) -> ServiceSnapshot | None:
        """One stored version of a service."""
        row = await self.session.get(ServiceVersionRow, (service_id, version))
        return ServiceSnapshot.model_validate(row.snapshot) if row is not None else None

    async def save(self, snapshot: ServiceSnapshot, *, actor: str) -> None:
        """Store ``snapshot`` as a new version and make it the service's current one."""
        data = snapshot.model_dump(mode="json")
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
            "updated_at": system_clock(),
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
            )
        )
        await self.session.flush()

    async def lineup(
        self,
        *,
        statuses: tuple[str, ...],
        category: str | None,
        query: str | None,
        limit: int,
        cursor: str | None,
    ) -> LineupPage:
        """Current snapshots in ``statuses``, filtered, by slug, ``limit`` per page."""
        stmt = sa.select(col(ServiceRow.snapshot), col(ServiceRow.slug)).where(
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
        if cursor:
            stmt = stmt.where(col(ServiceRow.slug) > decode_cursor(cursor))
        rows = (await self.session.execute(stmt.order_by(ServiceRow.slug).limit(limit + 1))).all()
        items = [ServiceSnapshot.model_validate(row.snapshot) for row in rows[:limit]]
        next_cursor = encode_cursor(rows[limit - 1].slug) if len(rows) > limit else None
        return LineupPage(items=items, next_cursor=next_cursor)
