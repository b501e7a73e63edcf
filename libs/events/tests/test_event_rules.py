"""Invariants the contracts enforce, so a publisher cannot emit a self-contradicting event."""

from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from bizmall_events import (
    EVENT_TYPES,
    BusinessDaysBeforeStart,
    FixedTerminationFee,
    IntegrationEvent,
    LocalizedText,
    MemberProfile,
    OnActivation,
    RemainingMonthsTerminationFee,
    ServiceSnapshot,
)


def _data(samples: dict[str, IntegrationEvent], type_name: str) -> dict[str, Any]:
    return samples[type_name].model_dump(mode="json")


def _parse(type_name: str, data: dict[str, Any]) -> IntegrationEvent:
    return EVENT_TYPES[type_name].model_validate(data)


def test_rejected_document_needs_the_reason_shown_to_the_member(
    samples: dict[str, IntegrationEvent],
) -> None:
    data = _data(samples, "identity.document.reviewed") | {"decision": "rejected"}
    with pytest.raises(ValidationError, match="reason"):
        _parse("identity.document.reviewed", data)
    parsed = _parse("identity.document.reviewed", data | {"reason": "画像が不鮮明です"})
    assert parsed.reason == "画像が不鮮明です"  # type: ignore[attr-defined]


def test_refused_withdrawal_names_what_blocks_it(samples: dict[str, IntegrationEvent]) -> None:
    data = _data(samples, "identity.withdrawal.decided") | {"blocking_items": []}
    with pytest.raises(ValidationError, match="blocks"):
        _parse("identity.withdrawal.decided", data)


def test_withdrawn_member_has_no_blocking_items(samples: dict[str, IntegrationEvent]) -> None:
    data = _data(samples, "identity.withdrawal.decided")
    with pytest.raises(ValidationError, match="cannot be withdrawn"):
        _parse("identity.withdrawal.decided", data | {"decision": "withdrawn"})
    withdrawn = _parse(
        "identity.withdrawal.decided", data | {"decision": "withdrawn", "blocking_items": []}
    )
    assert withdrawn.decision == "withdrawn"  # type: ignore[attr-defined]


def test_member_profile_postal_code_is_seven_digits() -> None:
    fields: dict[str, Any] = {
        "status": "active",
        "entity_type": "corporation",
        "name": "佐藤 花子",
        "organization_name": "株式会社サンプル",
        "address": "大阪府大阪市北区1-1",
        "contact_email": "hanako@example.co.jp",
        "language": "ja",
    }
    assert MemberProfile(**fields, postal_code="5300001").postal_code == "5300001"
    with pytest.raises(ValidationError):
        MemberProfile(**fields, postal_code="530-0001")


def test_timestamps_must_carry_their_offset(samples: dict[str, IntegrationEvent]) -> None:
    data = _data(samples, "identity.member.registered")
    naive = datetime(2026, 12, 29, 12, 0).isoformat()
    with pytest.raises(ValidationError):
        _parse("identity.member.registered", data | {"token_expires_at": naive})


def test_service_event_version_is_its_snapshots_version(
    samples: dict[str, IntegrationEvent],
) -> None:
    data = _data(samples, "catalog.service.updated")
    with pytest.raises(ValidationError, match="service_version"):
        _parse("catalog.service.updated", data | {"aggregate_version": 2})


def test_service_event_snapshot_is_of_the_same_service(
    samples: dict[str, IntegrationEvent],
) -> None:
    data = _data(samples, "catalog.service.updated")
    other = "00000000-0000-4000-8000-0000000000ff"
    with pytest.raises(ValidationError, match="another service"):
        _parse("catalog.service.updated", data | {"service_id": other})


def test_snapshot_carries_every_spec_4_flag(samples: dict[str, IntegrationEvent]) -> None:
    snapshot: ServiceSnapshot = samples["catalog.service.published"].snapshot  # type: ignore[attr-defined]
    for flag in [
        "category",
        "plans",
        "order_unit",
        "max_quantity_per_order",
        "takes_phone_orders",
        "order_fields",
        "lead_time_business_days",
        "activation_notice",
        "requires_corporation",
        "allows_account_transfer",
        "free_first_month",
        "cancellable_on_site",
        "early_termination",
        "minimum_term_months",
        "withdrawal_requires_contracts_ended",
    ]:
        assert ServiceSnapshot.model_fields[flag].is_required(), flag
    plan = snapshot.plan(snapshot.plans[0].plan_id)
    assert plan is not None
    assert (plan.monthly_fee, plan.initial_fee) == (1_980, 3_300)
    assert snapshot.order_fields["required"] == ["extension_count"]


def test_snapshot_refuses_a_maximum_below_the_order_unit(
    samples: dict[str, IntegrationEvent],
) -> None:
    data = _data(samples, "catalog.service.published")["snapshot"]
    with pytest.raises(ValidationError, match="order unit"):
        ServiceSnapshot.model_validate(data | {"order_unit": 10, "max_quantity_per_order": 5})


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"kind": "on_activation"}, OnActivation()),
        (
            {"kind": "business_days_before_start", "business_days": 3},
            BusinessDaysBeforeStart(business_days=3),
        ),
    ],
)
def test_activation_notice_timing_is_read_by_its_kind(
    samples: dict[str, IntegrationEvent], wire: dict[str, Any], expected: object
) -> None:
    data = _data(samples, "catalog.service.published")["snapshot"]
    assert ServiceSnapshot.model_validate(data | {"activation_notice": wire}).activation_notice == (
        expected
    )


def test_activation_notice_before_start_needs_a_positive_day_count() -> None:
    with pytest.raises(ValidationError):
        BusinessDaysBeforeStart(business_days=0)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"kind": "none"}, "NoTerminationFee"),
        ({"kind": "fixed", "amount": 20_000}, "FixedTerminationFee"),
        ({"kind": "remaining_months"}, "RemainingMonthsTerminationFee"),
    ],
)
def test_early_termination_rule_is_read_by_its_kind(
    samples: dict[str, IntegrationEvent], wire: dict[str, Any], expected: str
) -> None:
    data = _data(samples, "catalog.service.published")["snapshot"]
    rule = ServiceSnapshot.model_validate(data | {"early_termination": wire}).early_termination
    assert type(rule).__name__ == expected


def test_fixed_termination_fee_is_a_positive_yen_amount() -> None:
    assert FixedTerminationFee(amount=1).amount == 1
    with pytest.raises(ValidationError):
        FixedTerminationFee(amount=0)
    with pytest.raises(ValidationError):
        FixedTerminationFee.model_validate({"amount": 100.5})
    assert RemainingMonthsTerminationFee().kind == "remaining_months"


@pytest.mark.parametrize(
    ("type_name", "field"),
    [
        ("ordering.order.placed", "monthly_fee"),
        ("ordering.contract.cancelled", "early_termination_fee"),
        ("billing.invoice.issued", "total"),
    ],
)
def test_money_is_non_negative_integer_yen(
    samples: dict[str, IntegrationEvent], type_name: str, field: str
) -> None:
    data = _data(samples, type_name)
    with pytest.raises(ValidationError):
        _parse(type_name, data | {field: -1})
    with pytest.raises(ValidationError):
        _parse(type_name, data | {field: 1980.5})


def test_order_status_values_are_the_order_life_cycle(
    samples: dict[str, IntegrationEvent],
) -> None:
    data = _data(samples, "ordering.order.placed")
    with pytest.raises(ValidationError):
        _parse("ordering.order.placed", data | {"status": "cancelled"})
    with pytest.raises(ValidationError):
        _parse(
            "ordering.order.accepted",
            _data(samples, "ordering.order.accepted") | {"status": "rejected"},
        )


def test_completed_account_transfer_moves_the_account_to_account_transfer(
    samples: dict[str, IntegrationEvent],
) -> None:
    data = _data(samples, "billing.account_transfer.decided")
    with pytest.raises(ValidationError, match="account_transfer"):
        _parse("billing.account_transfer.decided", data | {"payment_method": "invoice"})
    with pytest.raises(ValidationError):
        _parse("billing.account_transfer.decided", data | {"payment_method": "credit_card"})


def test_rejected_account_transfer_needs_a_reason(samples: dict[str, IntegrationEvent]) -> None:
    data = _data(samples, "billing.account_transfer.decided") | {
        "decision": "rejected",
        "payment_method": "invoice",
    }
    with pytest.raises(ValidationError, match="reason"):
        _parse("billing.account_transfer.decided", data)


def test_localized_text_picks_the_members_language() -> None:
    name = LocalizedText(ja="データバックアップ", en="Data backup")
    assert name.in_language("ja") == "データバックアップ"
    assert name.in_language("en") == "Data backup"
