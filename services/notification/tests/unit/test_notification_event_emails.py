"""R27 (with R6, R9, R16, R18, R19): one email per event of the other services, in the
member's language, to the member's current address — the event handlers on a fake unit
of work, no database or broker."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bizmall_events import (
    AccountTransferDecided,
    ActivationNoticeDue,
    ContractCancelled,
    DocumentReviewed,
    Envelope,
    IntegrationEvent,
    InvoiceDebitFailed,
    InvoiceIssued,
    InvoiceOverdue,
    LocalizedText,
    MemberEmailChangeRequested,
    MemberProfile,
    MemberProfileChanged,
    MemberRegistered,
    MemberVerified,
    OrderAccepted,
    OrderOnHold,
    OrderPlaced,
    OrderRejected,
    PasswordResetRequested,
    RegistrationAttemptedExisting,
    WithdrawalDecided,
)
from notification.config import Settings
from notification.domain.emails import SEALED_TOKEN_KEY, inquiry_form_path
from notification.entrypoints.subscriptions import subscriptions
from servicekit.consumer import RetryLater
from servicekit.crypto import SecretBox

from .fakes import FakeNotificationUnitOfWork

NOW = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
MEMBER = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
ORDER = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
NAME = LocalizedText(ja="クラウドPBX", en="Cloud PBX")
HANDLERS = subscriptions(None)  # type: ignore[arg-type]
SEALED = SecretBox(Settings().event_secret_key).seal("one-time-token")


def _profile(email: str = "taro@example.jp", language: str = "ja", status: str = "active") -> Any:
    return MemberProfile(
        status=status,  # type: ignore[arg-type]
        entity_type="corporation",
        name="山田 太郎",
        organization_name="株式会社テスト",
        postal_code="1000001",
        address="東京都千代田区千代田1-1",
        contact_email=email,
        language=language,  # type: ignore[arg-type]
    )


def _verified(email: str = "taro@example.jp", version: int = 2, language: str = "ja") -> Any:
    return MemberVerified(
        member_id=MEMBER, aggregate_version=version, profile=_profile(email, language)
    )


async def _handle(uow: FakeNotificationUnitOfWork, event: IntegrationEvent) -> Envelope:
    """Consume ``event`` as the worker does: its handler, then commit."""
    envelope = Envelope.wrap(event, producer="test", correlation_id="c")
    async with uow:
        await HANDLERS[type(event)](event, uow=uow, envelope=envelope)
        await uow.commit()
    return envelope


async def _member(language: str = "ja") -> FakeNotificationUnitOfWork:
    uow = FakeNotificationUnitOfWork(now=NOW)
    await _handle(uow, _verified(language=language))
    return uow


def _order_fields() -> dict[str, Any]:
    return {
        "order_id": ORDER,
        "member_id": MEMBER,
        "service_id": uuid.uuid4(),
        "service_name": NAME,
        "plan_id": uuid.uuid4(),
        "plan_version_id": uuid.uuid4(),
        "plan_name": NAME,
        "quantity": 2,
        "planned_start_date": date(2025, 5, 1),
        "aggregate_version": 1,
    }


def _activation(timing: dict[str, Any]) -> ActivationNoticeDue:
    fields = _order_fields()
    for name in ("plan_id", "plan_version_id"):
        del fields[name]
    return ActivationNoticeDue(**fields, timing=timing)


def _placed() -> OrderPlaced:
    return OrderPlaced(
        **_order_fields(),
        status="received",
        monthly_fee=1000,
        initial_fee=0,
        inquiry_reference="Q-1",
        placed_at=NOW,
    )


def _cancelled(**overrides: Any) -> ContractCancelled:
    fields = _order_fields()
    for name in ("plan_version_id", "planned_start_date"):
        del fields[name]
    values: dict[str, Any] = {
        **fields,
        "contract_id": uuid.uuid4(),
        "aggregate_version": 2,
        "end_date": date(2025, 9, 30),
        "early_termination_fee": 5000,
        "cancelled_by": "ops",
        "reason": "お電話で解約のお申し出",
    }
    return ContractCancelled(**(values | overrides))


def _invoice_fields() -> dict[str, Any]:
    return {
        "invoice_id": uuid.uuid4(),
        "member_id": MEMBER,
        "invoice_number": "INV-2025-000123",
        "service_id": uuid.uuid4(),
        "service_name": NAME,
        "usage_period_start": date(2025, 3, 1),
        "usage_period_end": date(2025, 3, 31),
        "due_date": date(2025, 4, 30),
        "total": 36300,
        "payment_method": "invoice",
        "aggregate_version": 1,
    }


def _event(template: str) -> IntegrationEvent:
    """A sample event of each kind that sends the member one email."""
    samples: dict[str, Any] = {
        "password_reset": lambda: PasswordResetRequested(
            member_id=MEMBER, sealed_reset_token=SEALED, token_expires_at=NOW
        ),
        "registration_attempt_existing": lambda: RegistrationAttemptedExisting(
            member_id=MEMBER, attempted_at=NOW
        ),
        "document_reviewed": lambda: DocumentReviewed(
            member_id=MEMBER,
            document_id=uuid.uuid4(),
            document_type="passport",
            decision="rejected",
            reason="不鮮明",
            reviewed_at=NOW,
            aggregate_version=2,
        ),
        "withdrawal_decided": lambda: WithdrawalDecided(
            withdrawal_id=uuid.uuid4(),
            member_id=MEMBER,
            decision="refused",
            reason="契約中",
            aggregate_version=1,
        ),
        "order_confirmation": _placed,
        "order_accepted": lambda: OrderAccepted(**_order_fields()),
        "order_on_hold": lambda: OrderOnHold(**_order_fields(), reason="書類不足"),
        "order_rejected": lambda: OrderRejected(**_order_fields(), reason="対象外"),
        "activation_notice": lambda: _activation({"kind": "on_activation"}),
        "contract_cancelled": _cancelled,
        "invoice_issued": lambda: InvoiceIssued(
            **_invoice_fields(), issue_date=date(2025, 4, 15), corrects_invoice_id=None
        ),
        "invoice_overdue": lambda: InvoiceOverdue(**_invoice_fields(), amount_due=36300),
        "invoice_debit_failed": lambda: InvoiceDebitFailed(
            **_invoice_fields(),
            result_code="1",
            reason=LocalizedText(ja="資金不足", en="insufficient funds"),
            collection_date=date(2025, 4, 28),
            amount_due=36300,
            payee_bank_account="みずほ銀行 丸の内支店 普通預金 1234567",
        ),
        "account_transfer_decided": lambda: AccountTransferDecided(
            billing_account_id=uuid.uuid4(),
            member_id=MEMBER,
            decision="completed",
            payment_method="account_transfer",
            aggregate_version=2,
        ),
    }
    return samples[template]()


MEMBER_EMAILS = [
    "password_reset",
    "registration_attempt_existing",
    "document_reviewed",
    "withdrawal_decided",
    "order_confirmation",
    "order_accepted",
    "order_on_hold",
    "order_rejected",
    "activation_notice",
    "contract_cancelled",
    "invoice_issued",
    "invoice_overdue",
    "invoice_debit_failed",
    "account_transfer_decided",
]


@pytest.mark.parametrize("template", MEMBER_EMAILS)
async def test_r27_each_event_queues_its_one_email_to_the_member(template: str) -> None:
    uow = await _member(language="en")
    envelope = await _handle(uow, _event(template))
    [delivery] = uow.deliveries.where(lambda d: d.event_id == envelope.id)
    assert (delivery.template, delivery.event_type) == (template, envelope.type)
    assert (delivery.recipient, delivery.language) == ("taro@example.jp", "en")
    assert delivery.payload["name"] == "山田 太郎"
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, NOW)


async def test_r27_an_event_delivered_twice_is_one_email() -> None:
    uow = await _member()
    event = _placed()
    envelope = Envelope.wrap(event, producer="ordering", correlation_id="c")
    for _ in range(2):  # the broker redelivers the same envelope
        async with uow:
            await HANDLERS[OrderPlaced](event, uow=uow, envelope=envelope)
            await uow.commit()
    assert len(uow.deliveries.where(lambda d: d.event_id == envelope.id)) == 1
    assert uow.deliveries.wakeups == 1


async def test_r16_the_confirmation_goes_to_the_current_address_with_the_order_bound_form() -> None:
    uow = await _member()
    await _handle(uow, _verified(email="new@example.jp", version=3))
    envelope = await _handle(uow, _placed())
    [delivery] = uow.deliveries.where(lambda d: d.event_id == envelope.id)
    assert delivery.recipient == "new@example.jp"
    assert delivery.payload["inquiry_path"] == inquiry_form_path(str(ORDER))  # R19
    assert delivery.payload["monthly_fee"] == 1000 and delivery.payload["quantity"] == 2


async def test_r16_an_email_waits_for_the_members_copy_instead_of_being_dropped() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    with pytest.raises(RetryLater):
        await _handle(uow, _placed())
    assert len(uow.deliveries) == 0 and uow.committed == 0


async def test_r9_an_older_member_event_never_brings_back_an_old_address() -> None:
    uow = await _member()  # version 2
    await _handle(uow, _verified(email="newer@example.jp", version=4))
    await _handle(uow, _verified(email="stale@example.jp", version=3))
    await _handle(
        uow, MemberProfileChanged(member_id=MEMBER, aggregate_version=4, profile=_profile("x@x.jp"))
    )
    [contact] = uow.contacts
    assert (contact.email, contact.version, contact.updated_at) == ("newer@example.jp", 4, NOW)


async def test_r6_registration_starts_the_copy_and_queues_the_link_with_its_token_sealed() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    registered = MemberRegistered(
        member_id=MEMBER,
        aggregate_version=1,
        contact_email="new@example.jp",
        language="ja",
        name="新規 会員",
        sealed_verification_token=SEALED,
        token_expires_at=NOW + timedelta(hours=24),
    )
    await _handle(uow, registered)
    [contact] = uow.contacts
    assert (contact.status, contact.email) == ("pending_verification", "new@example.jp")
    [delivery] = uow.deliveries
    assert delivery.template == "verification" and delivery.recipient == "new@example.jp"
    assert delivery.payload[SEALED_TOKEN_KEY] == SEALED


async def test_r9_the_change_confirmation_goes_to_the_new_address_in_the_members_language() -> None:
    uow = await _member(language="en")
    await _handle(
        uow,
        MemberEmailChangeRequested(
            member_id=MEMBER,
            new_email="moved@example.jp",
            sealed_confirmation_token=SEALED,
            token_expires_at=NOW + timedelta(hours=1),
        ),
    )
    [delivery] = uow.deliveries
    assert (delivery.template, delivery.recipient, delivery.language) == (
        "email_change_confirmation",
        "moved@example.jp",
        "en",
    )
    assert uow.contacts.items[MEMBER].email == "taro@example.jp"


async def test_r18_the_activation_notice_says_whether_it_is_sent_on_activation() -> None:
    uow = await _member()
    await _handle(uow, _activation({"kind": "business_days_before_start", "business_days": 3}))
    [delivery] = uow.deliveries
    assert delivery.template == "activation_notice" and delivery.payload["on_activation"] is False


@pytest.mark.parametrize("cancelled_by", ["member", "ops"])
async def test_r32_every_contract_ending_emails_the_member_its_end_date_and_fee_once(
    cancelled_by: str,
) -> None:
    uow = await _member()
    event = _cancelled(
        cancelled_by=cancelled_by,
        reason="お電話で解約のお申し出" if cancelled_by == "ops" else None,
    )
    envelope = Envelope.wrap(event, producer="ordering", correlation_id="c")
    for _ in range(2):  # the broker redelivers the same envelope
        async with uow:
            await HANDLERS[ContractCancelled](event, uow=uow, envelope=envelope)
            await uow.commit()
    [delivery] = uow.deliveries.where(lambda d: d.event_id == envelope.id)
    assert delivery.template == "contract_cancelled"
    assert (delivery.payload["end_date"], delivery.payload["early_termination_fee"]) == (
        "2025-09-30",
        5000,
    )
    assert delivery.payload["cancelled_by"] == cancelled_by
    assert delivery.payload["inquiry_path"] == inquiry_form_path(str(ORDER))
    # Ops's reason is their record, not the member's email.
    assert "reason" not in delivery.payload


async def test_r32_a_cancellation_event_of_an_older_ordering_reads_as_the_members_own() -> None:
    uow = await _member()
    data = _cancelled().model_dump(mode="json")
    del data["cancelled_by"], data["reason"]
    old = ContractCancelled.model_validate(data)
    envelope = await _handle(uow, old)
    [delivery] = uow.deliveries.where(lambda d: d.event_id == envelope.id)
    assert delivery.payload["cancelled_by"] == "member"
