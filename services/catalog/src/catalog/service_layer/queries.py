"""What the catalog answers about its services, and to whom.

Members see the published lineup; a service's current version while it is
published or retired (order history still shows what was bought); any version
that was published or retired, kept readable because orders point at it (R28);
the order calendar of a published service (R17). Drafts are ops' alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from bizmall_events.catalog import ServiceSnapshot
from catalog.domain.errors import ServiceNotFound, VersionNotFound
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from jpcalendar import StartDates, selectable_start_dates
from servicekit.pagination import Page

EVERY_STATUS = ("draft", "published", "retired")
#: What members may read of a service (``GET /services/{id}``, its versions).
VISIBLE = ("published", "retired")
ON_SALE = ("published",)


async def list_services(
    *,
    uow: CatalogUnitOfWork,
    statuses: tuple[str, ...],
    category: str | None = None,
    query: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[ServiceSnapshot]:
    """Current versions in ``statuses``, by slug; ``query`` searches names and descriptions."""
    async with uow:
        return await uow.services.lineup(
            statuses=statuses, category=category, query=query, limit=limit, cursor=cursor
        )


async def get_service(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, statuses: tuple[str, ...] = EVERY_STATUS
) -> ServiceSnapshot:
    """The current version of a service in ``statuses``; raises :class:`ServiceNotFound`."""
    async with uow:
        snapshot = await uow.services.current(service_id)
    if snapshot is None or snapshot.status not in statuses:
        raise ServiceNotFound(service_id)
    return snapshot


async def get_version(
    *,
    uow: CatalogUnitOfWork,
    service_id: uuid.UUID,
    version: int,
    statuses: tuple[str, ...] = EVERY_STATUS,
) -> ServiceSnapshot:
    """One stored version, if it was made in ``statuses``; raises :class:`VersionNotFound`."""
    async with uow:
        snapshot = await uow.services.version(service_id, version)
    if snapshot is None or snapshot.status not in statuses:
        raise VersionNotFound()
    return snapshot


async def start_dates(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, now: datetime, months: int
) -> StartDates:
    """The selectable start dates of a published service for an order placed ``now`` (R17).

    Business days and the 13:00 cut-off are ``jpcalendar``'s; the lead time is the
    service's current one.
    """
    snapshot = await get_service(uow=uow, service_id=service_id, statuses=ON_SALE)
    return selectable_start_dates(now, snapshot.lead_time_business_days, months)
