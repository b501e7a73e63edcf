"""The order rules on the catalog snapshot (R12, R13, R14, R17), without I/O."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from jpcalendar import JST
from ordering.domain.placement import ContactCenter, OrderRequest, check_order

CONTACT = ContactCenter(
    phone="0120-003300",
    hours_ja="9:00〜17:00、土曜・日曜・祝日・年末年始は休業",
    hours_en="9:00–17:00, closed on Saturdays, Sundays, national holidays and the year-end break",
)
# Monday 1 June 2026, 10:00 Japan time: a business day before the cut-off.
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)


def request(snapshot: Any, **overrides: Any) -> OrderRequest:
    values: dict[str, Any] = {
        "plan_id": snapshot.plans[0].plan_id,
        "quantity": 1,
        "desired_start_date": date(2026, 6, 8),
        "options": {"domain_name": "example.jp"},
    }
    values.update(overrides)
    return OrderRequest(**values)


def test_a_valid_order_breaks_no_rule(snapshot_factory: Callable[..., Any]) -> None:
    snapshot = snapshot_factory()
    assert (
        check_order(
            snapshot, request(snapshot), entity_type="corporation", now=NOW, contact=CONTACT
        )
        == []
    )


def test_every_broken_rule_is_reported_at_once(snapshot_factory: Callable[..., Any]) -> None:
    snapshot = snapshot_factory(order_unit=5, max_quantity_per_order=20, requires_corporation=True)
    found = check_order(
        snapshot,
        request(
            snapshot,
            plan_id=uuid.uuid4(),
            quantity=27,
            desired_start_date=date(2026, 6, 2),
            options={"seats": "many", "colour": "red"},
        ),
        entity_type="sole_proprietor",
        now=NOW,
        contact=CONTACT,
    )
    codes = {v.code for v in found}
    assert {
        "order.plan_not_found",
        "order.requires_corporation",
        "order.options.required",
        "order.options.additionalProperties",
        "order.options.type",
        "order.quantity_not_multiple_of_unit",
        "order.quantity_over_limit",
        "order.start_date_not_selectable",
    } <= codes
    assert "options.seats" in {v.field for v in found}


def test_r14_refusal_offers_phone_only_where_phone_orders_are_taken(
    snapshot_factory: Callable[..., Any],
) -> None:
    phone = snapshot_factory(takes_phone_orders=True)
    no_phone = snapshot_factory(takes_phone_orders=False)
    [with_phone] = check_order(
        phone, request(phone, quantity=11), entity_type="corporation", now=NOW, contact=CONTACT
    )
    [without] = check_order(
        no_phone,
        request(no_phone, quantity=11),
        entity_type="corporation",
        now=NOW,
        contact=CONTACT,
    )
    assert "0120-003300" in with_phone.ja and "年末年始は休業" in with_phone.ja
    assert "0120-003300" in with_phone.en
    assert "0120-003300" not in without.ja + without.en
    assert "電話" not in without.ja and "call" not in without.en


def test_r17_a_weekend_or_too_early_start_is_refused(snapshot_factory: Callable[..., Any]) -> None:
    snapshot = snapshot_factory(lead_time_business_days=5)
    # Earliest is Monday 8 June; Sunday 14 June is not a business day.
    for refused in (date(2026, 6, 5), date(2026, 6, 14), date(2027, 1, 4)):
        [violation] = check_order(
            snapshot,
            request(snapshot, desired_start_date=refused),
            entity_type="corporation",
            now=NOW,
            contact=CONTACT,
        )
        assert violation.code == "order.start_date_not_selectable"
        assert "2026-06-08" in violation.ja
