"""The demo member's orders and contracts (local mode and Compose, ``python -m ordering seed``).

Placed and moved forward through the same handlers ops and members use, with the
unit of work's clock set back to when each step happens, so every order, contract and
event looks as it would have: two contracts active for about three months (billing
bills the months they ran), one ended by the member last month, one order on hold and
one just received. Identity's and catalog's seeds run beside this one: it waits for
their events (the member and the lineup copies) and skips quietly if they do not come.
Idempotent: nothing is added once the demo member has an order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from jpcalendar import earliest_start_date, is_business_day
from ordering.config import Settings
from ordering.service_layer import cancellation, placing, progression
from ordering.service_layer.unit_of_work import new_uow
from servicekit.clock import JAPAN
from servicekit.demo import (
    DEMO_MEMBER_ID,
    SEED_ACTOR,
    demo_member_wanted,
    demo_plan_id,
    demo_service_id,
    wait_until,
)
from servicekit.logging import get_logger
from servicekit.runtime import Runtime

_log = get_logger(__name__)

#: How long to wait for identity's and catalog's events before giving up (seconds).
COPIES_TIMEOUT = 90.0


@dataclass(frozen=True)
class DemoOrder:
    """One order of the demo member and how far it goes."""

    slug: str
    plan: str
    quantity: int
    options: dict[str, Any]
    #: Days before today the order is placed.
    placed_days_ago: int
    #: "received", "held", "active" (activated on the earliest start) or "ended".
    outcome: str


DEMO_ORDERS = (
    DemoOrder(
        "office-suite", "business", 10, {"tenant_domain": "demo-shoji.example.jp"}, 95, "active"
    ),
    DemoOrder(
        "fiber-internet",
        "1g",
        1,
        {"installation_address": "東京都千代田区大手町1-1-1 大手町ビル5階", "line_type": "1gbps"},
        110,
        "active",
    ),
    DemoOrder("web-conference", "host", 3, {"recording": True}, 85, "ended"),
    DemoOrder("vpn-file-share", "1tb", 5, {"site_count": 2}, 6, "held"),
    DemoOrder("security-gateway", "utm", 1, {"public_ip_count": 8}, 0, "received"),
)

HOLD_REASON = "現地調査の日程を調整しています（担当より連絡します）。"


def _business_morning(day: date) -> datetime:
    """10:00 Japan time on ``day`` or the next business day (before the 13:00 cut-off)."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=JAPAN)


def _last_month_end(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


async def seed(runtime: Runtime) -> None:
    """The service definition's seed hook: the demo member's orders, once."""
    if not demo_member_wanted():
        return
    settings = runtime.settings
    assert isinstance(settings, Settings)
    slugs = {o.slug for o in DEMO_ORDERS}

    async def copies_arrived() -> bool:
        async with new_uow(runtime) as uow:
            if await uow.members.get(DEMO_MEMBER_ID) is None:
                return False
            for slug in slugs:
                if await uow.catalog.current(demo_service_id(slug)) is None:
                    return False
            return True

    async with new_uow(runtime) as uow:
        page = await uow.orders.page(member_id=DEMO_MEMBER_ID, limit=1, cursor=None)
    if page.items:
        return
    if not await wait_until(copies_arrived, timeout=COPIES_TIMEOUT):
        _log.warning("demo orders skipped: the demo member or the lineup did not arrive")
        return
    today = runtime.clock.now().astimezone(JAPAN).date()
    try:
        for demo in DEMO_ORDERS:
            await _place(runtime, settings, demo, today)
    finally:
        runtime.clock.unpin()
    _log.info("demo orders loaded", orders=len(DEMO_ORDERS))


async def _place(runtime: Runtime, settings: Settings, demo: DemoOrder, today: date) -> None:
    clock = runtime.clock
    placed_at = _business_morning(today - timedelta(days=demo.placed_days_ago))
    if demo.placed_days_ago == 0:
        placed_at = clock.now()
    clock.pin(placed_at)
    async with new_uow(runtime) as uow:
        snapshot = await uow.catalog.current(demo_service_id(demo.slug))
        assert snapshot is not None
        start = earliest_start_date(placed_at, snapshot.lead_time_business_days)
        placed = await placing.place_order(
            uow=uow,
            command=placing.PlaceOrder(
                service_id=snapshot.service_id,
                plan_id=demo_plan_id(demo.slug, demo.plan),
                quantity=demo.quantity,
                desired_start_date=start,
                options=demo.options,
            ),
            member_id=DEMO_MEMBER_ID,
            token_entity_type="corporation",
            settings=settings,
        )
    order_id = placed.order.id
    if demo.outcome == "received":
        return
    clock.pin(placed_at + timedelta(hours=2))
    await _step(runtime, progression.accept, order_id=order_id)
    if demo.outcome == "held":
        await _step(runtime, progression.hold, order_id=order_id, reason=HOLD_REASON)
        return
    await _step(runtime, progression.start_provisioning, order_id=order_id)
    clock.pin(_business_morning(start))
    async with new_uow(runtime) as uow:
        _, contract = await progression.activate(
            uow=uow, order_id=order_id, start_date=start, actor=SEED_ACTOR
        )
    if demo.outcome != "ended":
        return
    end = _last_month_end(today)
    clock.pin(datetime.combine(end.replace(day=10), time(11, 0), tzinfo=JAPAN))
    async with new_uow(runtime) as uow:
        await cancellation.cancel_contract(
            uow=uow,
            contract_id=contract.id,
            member_id=DEMO_MEMBER_ID,
            end_date=end,
            contact=placing.contact_center(settings),
        )


async def _step(runtime: Runtime, handler: Any, *, order_id: uuid.UUID, **kwargs: Any) -> None:
    async with new_uow(runtime) as uow:
        await handler(uow=uow, order_id=order_id, actor=SEED_ACTOR, **kwargs)
