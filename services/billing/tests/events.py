"""The events billing consumes, built the way identity and ordering send them (shared by
the unit and the integration tests)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from bizmall_events import (
    ContractActivated,
    ContractCancelled,
    ContractTerms,
    LocalizedText,
    MemberProfile,
    MemberVerified,
    NoTerminationFee,
)


def member_verified(member_id: uuid.UUID, *, version: int = 2, **profile: Any) -> MemberVerified:
    """Identity's ``member.verified`` of a corporation (``profile`` overrides fields)."""
    values: dict[str, Any] = {
        "status": "active",
        "entity_type": "corporation",
        "name": "山田 太郎",
        "organization_name": "山田商事株式会社",
        "department": "総務部",
        "postal_code": "1000001",
        "address": "東京都千代田区千代田1-1",
        "contact_email": f"{member_id.hex[:8]}@example.jp",
        "language": "ja",
    }
    values.update(profile)
    return MemberVerified(
        member_id=member_id,
        aggregate_version=version,
        profile=MemberProfile.model_validate(values),
    )


def contract_activated(
    member_id: uuid.UUID,
    *,
    start: date,
    service_id: uuid.UUID | None = None,
    quantity: int = 1,
    monthly_fee: int = 3000,
    initial_fee: int = 5000,
    free_first_month: bool = False,
    allows_account_transfer: bool = True,
    service_name: str = "光回線",
) -> ContractActivated:
    """Ordering's ``contract.activated`` with the given recorded terms."""
    return ContractActivated(
        contract_id=uuid.uuid4(),
        aggregate_version=1,
        order_id=uuid.uuid4(),
        member_id=member_id,
        service_id=service_id or uuid.uuid4(),
        service_name=LocalizedText(ja=service_name, en="Service"),
        plan_id=uuid.uuid4(),
        plan_name=LocalizedText(ja="スタンダード", en="Standard"),
        quantity=quantity,
        planned_start_date=start,
        start_date=start,
        terms=ContractTerms(
            service_version=1,
            plan_version_id=uuid.uuid4(),
            monthly_fee=monthly_fee,
            initial_fee=initial_fee,
            free_first_month=free_first_month,
            allows_account_transfer=allows_account_transfer,
            cancellable_on_site=True,
            early_termination=NoTerminationFee(),
            minimum_term_months=0,
        ),
    )


def contract_cancelled(
    activated: ContractActivated, *, end: date, fee: int, version: int | None = None
) -> ContractCancelled:
    """Ordering's ``contract.cancelled`` of an activated contract (next version by default)."""
    return ContractCancelled(
        **activated.model_dump(
            include={
                "contract_id",
                "order_id",
                "member_id",
                "service_id",
                "service_name",
                "plan_id",
                "plan_name",
                "quantity",
            }
        ),
        aggregate_version=version or activated.aggregate_version + 1,
        end_date=end,
        early_termination_fee=fee,
    )
