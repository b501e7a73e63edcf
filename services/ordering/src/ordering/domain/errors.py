"""What ordering's rules say when they refuse (answered as problem+json at the edge).

Each error carries its stable code and both languages; the kind (``Invalid``,
``Conflict``...) gives the HTTP status.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from ordering.domain.placement import ContactCenter, Violation
from servicekit.errors import Conflict, Forbidden, Invalid, NotFound


class OrderNotFound(NotFound):
    """No such order, or not the caller's (R15: 404, never 403)."""

    def __init__(self) -> None:
        super().__init__(
            "order.not_found", ja="指定された注文は見つかりません。", en="No such order."
        )


class ContractNotFound(NotFound):
    """No such contract, or not the caller's (R15)."""

    def __init__(self) -> None:
        super().__init__(
            "contract.not_found", ja="指定された契約は見つかりません。", en="No such contract."
        )


class InvalidTransition(Conflict):
    """The order's current state does not allow the requested move."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            "order.invalid_transition",
            ja=f"現在の状態（{status}）ではこの操作はできません。",
            en=f"The order is {status}; it cannot be moved that way.",
            status=status,
        )
        self.status = status
        self.action = action


class OrderInvalid(Invalid):
    """The order breaks rules (R12–R14, R17): every violation at once, one per field error."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__(
            "order.invalid",
            ja="".join(v.ja for v in violations),
            en=" ".join(v.en for v in violations),
            errors=[v.as_error() for v in violations],
        )
        self.violations = list(violations)


class PlanVersionOutdated(Conflict):
    """The member saw a plan version that is no longer current: they must reload the price."""

    def __init__(self, current_plan_version_id: uuid.UUID) -> None:
        super().__init__(
            "order.plan_version_outdated",
            ja="プランの内容が変更されました。最新の料金と条件をご確認のうえ、再度お申し込みください。",
            en="The plan has changed. Please review its current price and terms and order again.",
            current_plan_version_id=str(current_plan_version_id),
        )


class IdempotencyKeyReused(Invalid):
    """An ``Idempotency-Key`` sent again with another body."""

    def __init__(self) -> None:
        super().__init__(
            "order.idempotency_key_reused",
            ja="この Idempotency-Key は別の内容のご注文に使われています。",
            en="This Idempotency-Key was already used with a different request body.",
        )


class MemberWithdrawn(Forbidden):
    """A withdrawn member orders nothing more (R11)."""

    def __init__(self) -> None:
        super().__init__(
            "member.withdrawn", ja="退会済みの会員です。", en="The member has withdrawn."
        )


class NotABusinessDay(Invalid):
    """A planned date that is not a business day (R17)."""

    def __init__(self, field: str) -> None:
        super().__init__(
            "order.not_a_business_day",
            ja="営業日を指定してください。",
            en="The date must be a business day.",
            errors=[
                {
                    "field": field,
                    "code": "not_a_business_day",
                    "ja": "営業日ではありません。",
                    "en": "Not a business day.",
                }
            ],
        )


class StartDateOutOfRange(Invalid):
    """An activation dated too far back or ahead of today."""

    def __init__(self, earliest: date, latest: date) -> None:
        super().__init__(
            "order.start_date_out_of_range",
            ja=f"開通日は{earliest.isoformat()}から{latest.isoformat()}までの日付を指定してください。",
            en=f"The start date must be between {earliest.isoformat()} and {latest.isoformat()}.",
            errors=[{"field": "body.start_date", "code": "out_of_range"}],
        )


class ContractNotCancellable(Conflict):
    """The contract already has an end date (R20)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "contract.not_cancellable",
            ja="この契約は既に解約済みです。",
            en=f"The contract cannot end on that date: {reason}.",
        )
        self.reason = reason


class EndDateNotAllowed(Invalid):
    """An end date in the past or before the contract's start (R20, R32)."""

    def __init__(self, *, earliest: date) -> None:
        super().__init__(
            "contract.end_date_not_allowed",
            ja=f"解約日は{earliest.isoformat()}以降の日付を指定してください（過去の日付や"
            "ご利用開始前の日付は指定できません）。",
            en=f"The end date must be {earliest.isoformat()} or later (not in the past, "
            "not before the start).",
            errors=[
                {
                    "field": "end_date",
                    "code": "too_early",
                    "ja": f"{earliest.isoformat()}以降の日付を指定してください。",
                    "en": f"Choose {earliest.isoformat()} or later.",
                }
            ],
            earliest=earliest.isoformat(),
        )


class CancelByContactCenter(Conflict):
    """The service is not cancellable on the site: the member calls the contact center (R20)."""

    def __init__(self, contact: ContactCenter) -> None:
        phone, hours_ja, hours_en = contact.phone, contact.hours_ja, contact.hours_en
        super().__init__(
            "contract.cancel_by_contact_center",
            ja=f"このサービスの解約はサイトでは承っておりません。コンタクトセンター（{phone}、"
            f"{hours_ja}）へお問い合わせください。",
            en=f"This service cannot be cancelled on the site. Please call the contact center "
            f"at {phone} ({hours_en}).",
            contact_center={"phone": phone, "hours_ja": hours_ja, "hours_en": hours_en},
        )


class InvalidPeriod(Invalid):
    """An order-date filter whose start is after its end, or outside the years orders
    can have been placed in (R31)."""

    def __init__(self, *, field: str, en: str, ja: str) -> None:
        super().__init__(
            "order.invalid_period",
            ja=ja,
            en=en,
            errors=[{"field": field, "code": "invalid_period", "ja": ja, "en": en}],
        )
