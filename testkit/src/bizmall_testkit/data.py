"""Test data: the credentials of a test stack, valid corporate numbers, order bodies
and the dates billing counts in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from stdnum.jp import cn as corporate_number_rule

from jpcalendar import first_business_day_on_or_after, to_jst

#: The demo operator the identity seed creates, and the password of every test member.
OPS_EMAIL = "ops-e2e@bizmall.example"
OPS_PASSWORD = "e2e-ops-password-2024"
MEMBER_PASSWORD = "e2e-member-password-2024"


@dataclass(frozen=True)
class Credentials:
    """The demo operator the stack's identity seed creates, and the members' password."""

    ops_email: str = OPS_EMAIL
    ops_password: str = OPS_PASSWORD
    member_password: str = MEMBER_PASSWORD


DEFAULT_CREDENTIALS = Credentials()


def corporate_number() -> str:
    """A random 13-digit corporate number with a valid check digit."""
    base = "".join(secrets.choice("0123456789") for _ in range(12))
    return str(corporate_number_rule.calc_check_digit(base)) + base


def simple_options(order_fields: dict[str, Any]) -> dict[str, Any] | None:
    """Values for a service's required order fields (an enum's first value, an integer's
    minimum, ``True``), or None when one is a free-form string."""
    options: dict[str, Any] = {}
    for name in order_fields.get("required", []):
        spec = order_fields["properties"][name]
        if "enum" in spec:
            options[name] = spec["enum"][0]
        elif spec["type"] == "integer":
            options[name] = spec.get("minimum", 1)
        elif spec["type"] == "boolean":
            options[name] = True
        else:
            return None
    return options


def order_request(
    service: dict[str, Any], earliest: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The body of an order of one order unit of ``service``'s first plan from
    ``earliest`` (its earliest start date); ``options`` default to :func:`simple_options`."""
    return {
        "service_id": service["id"],
        "plan_id": service["plans"][0]["plan_id"],
        "quantity": service["order_unit"],
        "desired_start_date": earliest,
        "options": simple_options(service["order_fields"]) if options is None else options,
    }


def month_before(day: date) -> date:
    """The first day of the month before ``day``'s."""
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def today_in_japan() -> date:
    """Today's date in Japan time (the calendar every business rule uses)."""
    return to_jst(datetime.now(UTC)).date()


def last_month_start() -> date:
    """The first business day of last month (Japan time): a start whose month has ended."""
    return first_business_day_on_or_after(month_before(today_in_japan()))
