"""The rules an order must pass before anything is stored (R12, R13, R14, R17).

:func:`check_order` looks at one request against the local catalog snapshot
and returns every violation at once, so the member fixes the form in one go.
Each violation names the field and carries a message in both languages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from bizmall_events import ServiceSnapshot
from jpcalendar import MAX_MONTHS, selectable_start_dates


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field it concerns, a stable code and the human message."""

    field: str
    code: str
    ja: str
    en: str

    def as_error(self) -> dict[str, str]:
        """The ``errors`` item of a problem+json answer."""
        return {"field": self.field, "code": self.code, "ja": self.ja, "en": self.en}


@dataclass(frozen=True)
class ContactCenter:
    """Where a member calls about what the site cannot do (R14, R20)."""

    phone: str
    hours_ja: str
    hours_en: str


@dataclass(frozen=True)
class OrderRequest:
    """What the member asked for, as the rules need it."""

    plan_id: uuid.UUID
    quantity: int
    desired_start_date: date
    options: dict[str, Any]


def check_order(
    snapshot: ServiceSnapshot | None,
    request: OrderRequest,
    *,
    entity_type: str | None,
    now: datetime,
    contact: ContactCenter,
) -> list[Violation]:
    """Every rule ``request`` breaks for the service at ``snapshot`` (empty: it may be placed).

    ``snapshot`` is the service's current version, None when ordering has never
    heard of it; ``now`` is the moment of ordering (the 13:00 cut-off, R17).
    """
    if snapshot is None or snapshot.status != "published":
        return [
            Violation(
                "service_id",
                "order.service_unavailable",
                "このサービスは現在お申し込みいただけません。",
                "This service cannot be ordered.",
            )
        ]
    violations: list[Violation] = []
    if snapshot.plan(request.plan_id) is None:
        violations.append(
            Violation(
                "plan_id",
                "order.plan_not_found",
                "指定されたプランはこのサービスにありません。",
                "The plan does not belong to this service.",
            )
        )
    if snapshot.requires_corporation and entity_type == "sole_proprietor":
        violations.append(
            Violation(
                "service_id",
                "order.requires_corporation",
                "このサービスは法人のお客さま専用です。個人事業主のお客さまはお申し込みいただけません。",
                "This service is for registered corporations only; a sole proprietor "
                "cannot order it.",
            )
        )
    violations.extend(_option_violations(snapshot, request.options))
    violations.extend(_quantity_violations(snapshot, request.quantity, contact))
    violations.extend(_start_date_violations(snapshot, request.desired_start_date, now))
    return violations


def _option_violations(snapshot: ServiceSnapshot, options: dict[str, Any]) -> list[Violation]:
    validator = _validator(orjson.dumps(snapshot.order_fields, option=orjson.OPT_SORT_KEYS))
    found = []
    for error in sorted(validator.iter_errors(options), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(part) for part in error.absolute_path)
        found.append(
            Violation(
                f"options.{path}" if path else "options",
                f"order.options.{error.validator}",
                f"注文項目{f'「{path}」' if path else ''}の内容が正しくありません"
                f"（{error.message}）。",
                f"Invalid order field{f' {path!r}' if path else 's'}: {error.message}",
            )
        )
    return found


@lru_cache(maxsize=256)
def _validator(schema_json: bytes) -> Validator:
    # Compiling a schema costs more than checking against it, and a service's
    # order fields change only with a new catalog version.
    schema = orjson.loads(schema_json)
    cls = validator_for(schema, default=Draft202012Validator)
    validator: Validator = cls(schema)
    return validator


def _quantity_violations(
    snapshot: ServiceSnapshot, quantity: int, contact: ContactCenter
) -> list[Violation]:
    found = []
    unit, limit = snapshot.order_unit, snapshot.max_quantity_per_order
    if quantity % unit:
        found.append(
            Violation(
                "quantity",
                "order.quantity_not_multiple_of_unit",
                f"数量は{unit}単位でご指定ください。",
                f"The quantity must be a multiple of {unit}.",
            )
        )
    if quantity > limit:
        if snapshot.takes_phone_orders:
            ja = (
                f"1回のご注文は{limit}までです。それを超える数量はコンタクトセンター"
                f"（{contact.phone}、{contact.hours_ja}）へお電話でお申し込みください。"
            )
            en = (
                f"At most {limit} per order. For a larger quantity please call the contact "
                f"center at {contact.phone} ({contact.hours_en})."
            )
        else:
            # This service takes no phone orders: offering the phone would mislead.
            ja = f"1回のご注文は{limit}までです。数量を{limit}以下にしてお申し込みください。"
            en = f"At most {limit} per order. Please order {limit} or fewer."
        found.append(Violation("quantity", "order.quantity_over_limit", ja, en))
    return found


def _start_date_violations(
    snapshot: ServiceSnapshot, desired: date, now: datetime
) -> list[Violation]:
    calendar = selectable_start_dates(now, snapshot.lead_time_business_days, MAX_MONTHS)
    if calendar.offers(desired):
        return []
    first, last = calendar.earliest.isoformat(), calendar.latest.isoformat()
    return [
        Violation(
            "desired_start_date",
            "order.start_date_not_selectable",
            f"ご利用開始希望日は{first}から{last}までの営業日からお選びください"
            f"（{calendar.cutoff}以降のご注文は翌営業日の受付となります）。",
            f"The start date must be a business day from {first} to {last} "
            f"(orders at or after {calendar.cutoff} Japan time count from the next business day).",
        )
    ]
