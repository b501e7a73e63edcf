"""The rules an order must pass before anything is stored (R12, R13, R14, R17).

:func:`check_order` looks at one request against the local catalog snapshot
and returns every violation at once, so the member fixes the form in one go.
Each violation names the field and carries a message in both languages.

Order fields (R13) are checked against the service's JSON Schema with two
guards (issue 19 items 8 and 11): no message repeats what the member sent (a
10 MB value must not come back, twice), and a field's ``pattern`` runs only on
a string no longer than the field's ``maxLength`` — at most
:data:`MAX_PATTERN_SUBJECT` characters when a definition saved before catalog
required ``maxLength`` has none — so a long string never reaches the regular
expression engine. How large ``options`` may be at all is
:func:`options_size_problem`'s.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for

from bizmall_events import ServiceSnapshot
from jpcalendar import JST, MAX_MONTHS, StartDates, effective_order_date, selectable_start_dates

#: At most this many ``options`` (catalog allows 30 order fields per service).
MAX_OPTION_KEYS = 50
#: At most this long an option's name (catalog's field names are at most 64).
MAX_OPTION_KEY_LENGTH = 64
#: At most this many bytes of ``options`` as JSON (a field is at most 1000 characters).
MAX_OPTIONS_BYTES = 16 * 1024
#: The longest string a ``pattern`` is run on when its field has no ``maxLength``
#: (catalog's longest string field).
MAX_PATTERN_SUBJECT = 1000
_TOO_LONG_FOR_PATTERN = "too long for its pattern"


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


def options_size_problem(options: dict[str, Any]) -> str | None:
    """Why ``options`` is too large to be checked at all (English), or None.

    Checked before anything else reads the options (issue 19 item 8): at most
    :data:`MAX_OPTION_KEYS` names of at most :data:`MAX_OPTION_KEY_LENGTH`
    characters, at most :data:`MAX_OPTIONS_BYTES` bytes as JSON.
    """
    if len(options) > MAX_OPTION_KEYS:
        return f"at most {MAX_OPTION_KEYS} order fields"
    if any(len(name) > MAX_OPTION_KEY_LENGTH for name in options):
        return f"order field names are at most {MAX_OPTION_KEY_LENGTH} characters"
    if len(orjson.dumps(options)) > MAX_OPTIONS_BYTES:
        return f"order fields are at most {MAX_OPTIONS_BYTES // 1024} KiB as JSON"
    return None


def _option_violations(snapshot: ServiceSnapshot, options: dict[str, Any]) -> list[Violation]:
    validator = _validator(orjson.dumps(snapshot.order_fields, option=orjson.OPT_SORT_KEYS))
    found = []
    for error in sorted(validator.iter_errors(options), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(part) for part in error.absolute_path)
        ja, en = _option_message(error)
        found.append(
            Violation(
                f"options.{path}" if path else "options",
                f"order.options.{error.validator}",
                f"注文項目{f'「{path}」' if path else ''}の内容が正しくありません（{ja}）。",
                f"Invalid order field{f' {path!r}' if path else 's'}: {en}",
            )
        )
    return found


_TYPE_NAMES = {
    "string": ("文字列", "text"),
    "integer": ("整数", "a whole number"),
    "boolean": ("はい／いいえ", "true or false"),
    "object": ("項目の一覧", "an object of fields"),
}


def _option_message(error: ValidationError) -> tuple[str, str]:
    # Built from the definition alone: what the member sent is never repeated (item 8).
    rule = error.validator_value
    match error.validator:
        case "type":
            ja_type, en_type = _TYPE_NAMES.get(str(rule), (str(rule), str(rule)))
            return f"{ja_type}で入力してください", f"must be {en_type}"
        case "required":
            missing = ", ".join(name for name in rule if name not in error.instance)
            return f"入力が必要です: {missing}", f"required: {missing}"
        case "additionalProperties":
            return "このサービスにない項目があります", "not a field of this service"
        case "pattern" if error.message == _TOO_LONG_FOR_PATTERN:
            limit = MAX_PATTERN_SUBJECT
            return f"{limit}文字以内で入力してください", f"at most {limit} characters"
        case "pattern":
            return "形式が正しくありません", "not in the expected format"
        case "minLength":
            return f"{rule}文字以上で入力してください", f"at least {rule} characters"
        case "maxLength":
            return f"{rule}文字以内で入力してください", f"at most {rule} characters"
        case "minimum":
            return f"{rule}以上で入力してください", f"at least {rule}"
        case "maximum":
            return f"{rule}以下で入力してください", f"at most {rule}"
        case "enum":
            return "選択肢から選んでください", "must be one of the offered choices"
        case "format":
            return "日付（YYYY-MM-DD）で入力してください", "must be a date (YYYY-MM-DD)"
    return "値が正しくありません", "not a valid value"


def _pattern_within_length(
    validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    # The pattern runs only on a string its maxLength allows (that keyword reports a
    # longer one), and never on more than MAX_PATTERN_SUBJECT characters (item 11).
    if not validator.is_type(instance, "string"):
        return
    limit = schema.get("maxLength")
    if isinstance(limit, int) and len(instance) > limit:
        return
    if len(instance) > MAX_PATTERN_SUBJECT:
        yield ValidationError(_TOO_LONG_FOR_PATTERN)
    elif re.search(pattern, instance) is None:
        yield ValidationError("does not match its pattern")


@lru_cache(maxsize=64)
def _start_dates(order_date: date, lead_time_business_days: int) -> StartDates:
    # The calendar depends on the moment of ordering only through the business
    # day the order counts as placed on, so every order of a day shares one
    # (built from that day's midnight in Japan, before the cut-off).
    midnight = datetime.combine(order_date, time(0), tzinfo=JST)
    return selectable_start_dates(midnight, lead_time_business_days, MAX_MONTHS)


@lru_cache(maxsize=256)
def _validator(schema_json: bytes) -> Validator:
    # Compiling a schema costs more than checking against it, and a service's
    # order fields change only with a new catalog version.
    schema = orjson.loads(schema_json)
    base = validator_for(schema, default=Draft202012Validator)
    cls = extend(base, {"pattern": _pattern_within_length})
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
    calendar = _start_dates(effective_order_date(now), snapshot.lead_time_business_days)
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
