"""The public catalog: the lineup, one service, its versions and its order calendar.

Visibility: the lineup lists published services only. ``GET
/services/{id}`` answers published and retired services (a retired one says
``"status": "retired"``, so order history can still show what was bought) but
never drafts. ``GET /services/{id}/versions/{version}`` answers any version
that was published or retired — it stays readable after the service is
retired, because orders point at it (R28) — and never a draft version.

Free-text searches (``q``) are normalised (NFKC, white space collapsed, at most
:data:`MAX_QUERY_LENGTH` characters) and answered from the database, never
cached: every distinct text would be an entry of its own (issue 19 item 10).
Lineup pages are cached within the cache's listing budget.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from catalog.adapters.cache import CachedBody
from catalog.api.deps import CacheDep, ClockDep, RuntimeDep
from catalog.api.http_cache import cached_answer, revalidatable
from catalog.api.schemas import ServicePage, ServiceSummary, ServiceView, StartDatesView
from catalog.service_layer import queries
from catalog.service_layer.unit_of_work import catalog_uow
from jpcalendar import DEFAULT_MONTHS, MAX_MONTHS, effective_order_date

router = APIRouter(prefix="/api/v1/services", tags=["catalog"])

#: The longest free-text search, in characters (a service name is shorter).
MAX_QUERY_LENGTH = 64


def normalised_query(q: str | None) -> str | None:
    """``q`` as searched: NFKC (full-width letters as ASCII, half-width kana as full),
    runs of white space as one space, trimmed, cut at :data:`MAX_QUERY_LENGTH`; None
    when nothing is left."""
    if q is None:
        return None
    text = " ".join(unicodedata.normalize("NFKC", q).split())[:MAX_QUERY_LENGTH]
    return text or None


@router.get("", response_model=ServicePage)
async def list_services(
    request: Request,
    runtime: RuntimeDep,
    cache: CacheDep,
    category: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description=f"Text in names and descriptions (its first {MAX_QUERY_LENGTH} "
            "characters once normalised)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The published lineup, by slug; filter by ``category``, search ``q`` (ja and en)."""
    query = normalised_query(q)

    async def render() -> bytes:
        page = await queries.list_services(
            uow=catalog_uow(runtime),
            statuses=queries.ON_SALE,
            category=category,
            query=query,
            limit=limit,
            cursor=cursor,
        )
        body = ServicePage(
            items=[ServiceSummary.of(s) for s in page.items], next_cursor=page.next_cursor
        )
        return body.model_dump_json().encode()

    if query is not None:
        return revalidatable(request, CachedBody.of(await render()))
    request_key = "\x1f".join((category or "", str(limit), cursor or ""))
    name = "lineup:" + hashlib.blake2b(request_key.encode(), digest_size=16).hexdigest()
    return await cached_answer(request, cache, name, render, listing=True)


@router.get("/{service_id}", response_model=ServiceView)
async def get_service(
    request: Request, runtime: RuntimeDep, cache: CacheDep, service_id: uuid.UUID
) -> Response:
    """One service's current version with plans and order rules."""

    async def render() -> bytes:
        snapshot = await queries.get_service(
            uow=catalog_uow(runtime), service_id=service_id, statuses=queries.VISIBLE
        )
        return ServiceView.of(snapshot).model_dump_json().encode()

    return await cached_answer(request, cache, f"service:{service_id}", render)


@router.get("/{service_id}/versions/{version}", response_model=ServiceView)
async def get_service_version(
    request: Request,
    runtime: RuntimeDep,
    cache: CacheDep,
    service_id: uuid.UUID,
    version: Annotated[int, Path(ge=1)],
) -> Response:
    """One past or current version, readable even after the service was retired (R28)."""

    async def render() -> bytes:
        snapshot = await queries.get_version(
            uow=catalog_uow(runtime),
            service_id=service_id,
            version=version,
            statuses=queries.VISIBLE,
        )
        return ServiceView.of(snapshot).model_dump_json().encode()

    return await cached_answer(request, cache, f"version:{service_id}:{version}", render)


@router.get("/{service_id}/start-dates", response_model=StartDatesView)
async def start_dates(
    request: Request,
    runtime: RuntimeDep,
    cache: CacheDep,
    now: ClockDep,
    service_id: uuid.UUID,
    months: Annotated[int, Query(ge=1, le=MAX_MONTHS)] = DEFAULT_MONTHS,
) -> Response:
    """The selectable start dates of a published service (R17), earliest first."""
    moment = now()
    # The calendar depends on the moment only through its effective order date (the
    # day, moved on at the 13:00 cut-off): the cached answer is keyed by that date, and
    # a service change reaches it through the cache's generation like every read.
    order_date = effective_order_date(moment)

    async def render() -> bytes:
        calendar = await queries.start_dates(
            uow=catalog_uow(runtime), service_id=service_id, now=moment, months=months
        )
        return StartDatesView.of(calendar).model_dump_json().encode()

    name = f"start-dates:{service_id}:{months}:{order_date.isoformat()}"
    # The answer turns over at the cut-off: clients revalidate every time (ETag, 304).
    return await cached_answer(request, cache, name, render, cache_control="no-cache")
