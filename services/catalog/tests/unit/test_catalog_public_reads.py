"""R28 and R17: what members may read of the lineup, and the order calendar catalog
answers, run with a fake unit of work (no database)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from catalog.domain.errors import ServiceNotFound, VersionNotFound
from catalog.service_layer import handlers, queries
from jpcalendar import JST
from servicekit.pagination import InvalidCursor, encode_cursor

from .builders import plan, terms
from .fakes import FakeCatalogUnitOfWork

OPS = "ops-1"
#: A Monday with no holiday near it.
MONDAY_10H = datetime(2026, 6, 1, 10, 0, tzinfo=JST)


@pytest.fixture
def uow() -> FakeCatalogUnitOfWork:
    return FakeCatalogUnitOfWork(now=MONDAY_10H)


async def _service(
    uow: FakeCatalogUnitOfWork, slug: str, *, status: str = "published", **changes: object
) -> uuid.UUID:
    service_id = uuid.uuid4()
    await handlers.create_service(
        uow=uow, actor=OPS, service_id=service_id, slug=slug, terms=terms(**changes), plans=[plan()]
    )
    if status in ("published", "retired"):
        await handlers.publish_service(uow=uow, service_id=service_id, actor=OPS)
    if status == "retired":
        await handlers.retire_service(uow=uow, service_id=service_id, actor=OPS)
    return service_id


async def _slugs(uow: FakeCatalogUnitOfWork, **filters: object) -> list[str]:
    page = await queries.list_services(
        uow=uow,
        statuses=queries.ON_SALE,
        limit=100,
        **filters,  # type: ignore[arg-type]
    )
    return [s.slug for s in page.items]


# --- the lineup ---------------------------------------------------------------------


async def test_r28_the_public_lineup_lists_published_services_only(
    uow: FakeCatalogUnitOfWork,
) -> None:
    await _service(uow, "on-sale")
    await _service(uow, "in-draft", status="draft")
    await _service(uow, "off-sale", status="retired")
    assert await _slugs(uow) == ["on-sale"]


async def test_r28_ops_list_services_in_every_state(uow: FakeCatalogUnitOfWork) -> None:
    for slug, status in (("c-retired", "retired"), ("a-draft", "draft"), ("b-live", "published")):
        await _service(uow, slug, status=status)
    page = await queries.list_services(uow=uow, statuses=queries.EVERY_STATUS, limit=50)
    assert [(s.slug, s.status) for s in page.items] == [
        ("a-draft", "draft"),
        ("b-live", "published"),
        ("c-retired", "retired"),
    ]


async def test_the_lineup_is_ordered_by_slug_and_continues_after_its_cursor(
    uow: FakeCatalogUnitOfWork,
) -> None:
    for slug in ("delta", "alpha", "charlie", "bravo", "echo"):
        await _service(uow, slug)
    first = await queries.list_services(uow=uow, statuses=queries.ON_SALE, limit=2)
    assert [s.slug for s in first.items] == ["alpha", "bravo"]
    assert first.next_cursor == encode_cursor("bravo")
    second = await queries.list_services(
        uow=uow, statuses=queries.ON_SALE, limit=2, cursor=first.next_cursor
    )
    third = await queries.list_services(
        uow=uow, statuses=queries.ON_SALE, limit=2, cursor=second.next_cursor
    )
    assert [s.slug for s in second.items] == ["charlie", "delta"]
    assert ([s.slug for s in third.items], third.next_cursor) == (["echo"], None)


@pytest.mark.parametrize("cursor", ["%%%", encode_cursor(5), encode_cursor("a", "b")])
async def test_a_cursor_the_lineup_did_not_hand_out_is_refused(
    uow: FakeCatalogUnitOfWork, cursor: str
) -> None:
    with pytest.raises(InvalidCursor) as refused:
        await queries.list_services(uow=uow, statuses=queries.ON_SALE, limit=2, cursor=cursor)
    assert refused.value.code == "request.invalid_cursor"


async def test_the_lineup_filters_by_category_and_searches_both_languages(
    uow: FakeCatalogUnitOfWork,
) -> None:
    await _service(uow, "pbx", category="telephony", name={"ja": "クラウドPBX", "en": "Cloud PBX"})
    await _service(
        uow,
        "backup",
        category="storage",
        description={"ja": "毎日のバックアップ", "en": "Daily backups"},
    )
    assert await _slugs(uow, category="storage") == ["backup"]
    assert await _slugs(uow, query="クラウド") == ["pbx"]
    assert await _slugs(uow, query="DAILY") == ["backup"]
    assert await _slugs(uow, category="telephony", query="backup") == []


# --- one service, its versions --------------------------------------------------------


async def test_r28_a_draft_is_hidden_from_members_but_not_from_ops(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _service(uow, "draft", status="draft")
    with pytest.raises(ServiceNotFound):
        await queries.get_service(uow=uow, service_id=service_id, statuses=queries.VISIBLE)
    seen_by_ops = await queries.get_service(uow=uow, service_id=service_id)
    assert seen_by_ops.status == "draft"


async def test_r28_a_retired_service_stays_readable_and_says_it_is_retired(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _service(uow, "old", status="retired")
    snapshot = await queries.get_service(uow=uow, service_id=service_id, statuses=queries.VISIBLE)
    assert (snapshot.status, snapshot.service_version) == ("retired", 3)


async def test_r28_every_published_version_stays_readable_after_retirement(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _service(uow, "kept")
    await handlers.update_service(
        uow=uow, service_id=service_id, actor=OPS, changes={"lead_time_business_days": 9}
    )
    await handlers.retire_service(uow=uow, service_id=service_id, actor=OPS)
    versions = [
        await queries.get_version(
            uow=uow, service_id=service_id, version=v, statuses=queries.VISIBLE
        )
        for v in (2, 3, 4)
    ]
    assert [(v.status, v.lead_time_business_days) for v in versions] == [
        ("published", 3),
        ("published", 9),
        ("retired", 9),
    ]


async def test_r28_a_draft_version_is_not_readable_by_members(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _service(uow, "was-a-draft")
    with pytest.raises(VersionNotFound) as refused:
        await queries.get_version(
            uow=uow, service_id=service_id, version=1, statuses=queries.VISIBLE
        )
    assert refused.value.code == "catalog.version_not_found"
    draft = await queries.get_version(uow=uow, service_id=service_id, version=1)
    assert draft.status == "draft"


async def test_r28_a_version_never_made_is_not_found(uow: FakeCatalogUnitOfWork) -> None:
    service_id = await _service(uow, "short")
    with pytest.raises(VersionNotFound):
        await queries.get_version(uow=uow, service_id=service_id, version=3)


# --- the order calendar (R17) ----------------------------------------------------------


async def test_r17_the_earliest_start_is_the_service_lead_time_in_business_days(
    uow: FakeCatalogUnitOfWork,
) -> None:
    two = await _service(uow, "two-days", lead_time_business_days=2)
    five = await _service(uow, "five-days", lead_time_business_days=5)
    fast = await queries.start_dates(uow=uow, service_id=two, now=MONDAY_10H, months=1)
    slow = await queries.start_dates(uow=uow, service_id=five, now=MONDAY_10H, months=1)
    assert (fast.earliest, slow.earliest) == (date(2026, 6, 3), date(2026, 6, 8))
    assert fast.dates[0] == fast.earliest and date(2026, 6, 6) not in fast.dates  # a Saturday


async def test_r17_an_order_at_or_after_13h_counts_as_placed_on_the_next_business_day(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _service(uow, "cutoff", lead_time_business_days=2)
    before = await queries.start_dates(
        uow=uow, service_id=service_id, now=MONDAY_10H.replace(hour=12, minute=59), months=1
    )
    after = await queries.start_dates(
        uow=uow, service_id=service_id, now=MONDAY_10H.replace(hour=13), months=1
    )
    assert (before.effective_order_date, before.earliest) == (date(2026, 6, 1), date(2026, 6, 3))
    assert (after.effective_order_date, after.earliest) == (date(2026, 6, 2), date(2026, 6, 4))
    assert after.cutoff == "13:00"


async def test_r17_the_calendar_skips_the_year_end_break(uow: FakeCatalogUnitOfWork) -> None:
    service_id = await _service(uow, "year-end", lead_time_business_days=1)
    calendar = await queries.start_dates(
        uow=uow,
        service_id=service_id,
        now=datetime(2025, 12, 26, 10, 0, tzinfo=JST),
        months=1,
    )
    assert calendar.earliest == date(2026, 1, 5)


async def test_r17_the_calendar_follows_the_lead_time_of_the_current_version(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _service(uow, "edited", lead_time_business_days=2)
    await handlers.update_service(
        uow=uow, service_id=service_id, actor=OPS, changes={"lead_time_business_days": 5}
    )
    calendar = await queries.start_dates(uow=uow, service_id=service_id, now=MONDAY_10H, months=1)
    assert calendar.earliest == date(2026, 6, 8)


@pytest.mark.parametrize("status", ["draft", "retired"])
async def test_r17_a_service_not_on_sale_has_no_order_calendar(
    uow: FakeCatalogUnitOfWork, status: str
) -> None:
    service_id = await _service(uow, f"not-on-sale-{status}", status=status)
    with pytest.raises(ServiceNotFound):
        await queries.start_dates(uow=uow, service_id=service_id, now=MONDAY_10H, months=3)
