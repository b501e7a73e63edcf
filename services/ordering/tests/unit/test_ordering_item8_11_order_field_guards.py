"""Issue 19 items 8 and 11: order fields are bounded, their refusals never repeat what
the member sent, and a field's pattern never runs on a string longer than it allows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson

from jpcalendar import JST
from ordering.domain import placement
from ordering.domain.placement import ContactCenter, OrderRequest, check_order

CONTACT = ContactCenter(
    phone="0120-003300",
    hours_ja="9:00〜17:00、土曜・日曜・祝日・年末年始は休業",
    hours_en="9:00–17:00, closed on Saturdays, Sundays, national holidays and the year-end break",
)
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
#: A pattern that backtracks exponentially on "aaa…!" (what item 11 is about).
CATASTROPHIC = r"^(a+)+$"


def violations(snapshot: Any, options: dict[str, Any]) -> list[Any]:
    request = OrderRequest(
        plan_id=snapshot.plans[0].plan_id,
        quantity=1,
        desired_start_date=date(2026, 6, 8),
        options=options,
    )
    return check_order(snapshot, request, entity_type="corporation", now=NOW, contact=CONTACT)


def test_item8_options_over_the_limits_are_refused_before_being_read() -> None:
    too_many = {f"f{i}": 1 for i in range(51)}
    assert placement.options_size_problem({"domain_name": "example.jp"}) is None
    assert placement.options_size_problem(too_many) == "at most 50 order fields"
    assert placement.options_size_problem({"x" * 65: 1}) is not None
    assert placement.options_size_problem({"note": "x" * 17_000}) is not None


def test_item8_option_refusals_never_repeat_the_submitted_value(
    snapshot_factory: Callable[..., Any],
) -> None:
    fields = {
        "type": "object",
        "properties": {
            "domain_name": {"type": "string", "pattern": r"^[a-z.]+$", "maxLength": 20},
            "seats": {"type": "integer", "minimum": 1, "maximum": 9},
            "plan": {"type": "string", "enum": ["a", "b"]},
        },
        "required": ["domain_name", "seats"],
        "additionalProperties": False,
    }
    snapshot = snapshot_factory(order_fields=fields)
    secret = "SECRET-VALUE-" + "Z" * 40
    found = violations(snapshot, {"domain_name": secret, "plan": secret, "seats": secret})
    found += violations(snapshot, {"domain_name": "SECRETVALUE", "seats": 99_999_999})
    found += violations(snapshot, {"domain_name": "a.b"})  # seats missing
    codes = {v.code for v in found}
    assert {
        "order.options.pattern",
        "order.options.maxLength",
        "order.options.enum",
        "order.options.type",
        "order.options.maximum",
        "order.options.required",
    } <= codes
    text = orjson.dumps([v.as_error() for v in found]).decode()
    assert "SECRET" not in text and "99999999" not in text
    assert "at most 20 characters" in text and "required: seats" in text


def test_item11_a_pattern_never_runs_on_a_string_longer_than_its_field_allows(
    snapshot_factory: Callable[..., Any],
) -> None:
    # (a+)+$ backtracks through 2**24 ways on 24 a's and a '!' (seconds; minutes at 30).
    bounded = {"type": "string", "pattern": CATASTROPHIC, "maxLength": 10}
    # Saved before catalog required maxLength: the pattern runs on 1000 characters at most.
    unbounded = {"type": "string", "pattern": r"^[a-z]+$"}
    snapshot = snapshot_factory(
        order_fields={
            "type": "object",
            "properties": {"bounded": bounded, "unbounded": unbounded},
            "additionalProperties": False,
        }
    )
    found = violations(snapshot, {"bounded": "a" * 24 + "!", "unbounded": "a" * 1001})
    assert {(v.field, v.code) for v in found} == {
        ("options.bounded", "order.options.maxLength"),
        ("options.unbounded", "order.options.pattern"),
    }
    assert "at most 1000 characters" in next(v.en for v in found if v.field.endswith("unbounded"))
    # Within the length the pattern is checked as before.
    assert violations(snapshot, {"bounded": "aaa"}) == []
    assert [v.code for v in violations(snapshot, {"bounded": "ab"})] == ["order.options.pattern"]
