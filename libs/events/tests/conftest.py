"""One valid instance of every event contract, for the contract tests."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bizmall_events import (
    AccountTransferDecided,
    ActivationNoticeDue,
    BlockingItem,
    BusinessDaysBeforeStart,
    ContractActivated,
    ContractCancelled,
    ContractTerms,
    DocumentReviewed,
    FixedTerminationFee,
    InquiryAnswered,
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
    OnActivation,
    OrderAccepted,
    OrderOnHold,
    OrderPlaced,
    OrderRejected,
    PasswordResetRequested,
    PlanSnapshot,
    RegistrationAttemptedExisting,
    RemainingMonthsTerminationFee,
    ServicePublished,
    ServiceRetired,
    ServiceSnapshot,
    ServiceUpdated,
    WithdrawalDecided,
)

NOW = datetime(2026, 12, 28, 3, 59, tzinfo=UTC)
MEMBER_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
SERVICE_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
PLAN_ID = uuid.UUID("00000000-0000-4000-8000-000000000003")
PLAN_VERSION_ID = uuid.UUID("00000000-0000-4000-8000-000000000004")
ORDER_ID = uuid.UUID("00000000-0000-4000-8000-000000000005")
CONTRACT_ID = uuid.UUID("00000000-0000-4000-8000-000000000006")
SERVICE_NAME = LocalizedText(ja="クラウドPBX", en="Cloud PBX")
PLAN_NAME = LocalizedText(ja="スタンダード", en="Standard")


@pytest.fixture(scope="session")
def event_key() -> Fernet:
    return Fernet(Fernet.generate_key())


def seal(key: Fernet, token: str) -> str:
    return key.encrypt(token.encode()).decode()


def service_snapshot(version: int = 3) -> ServiceSnapshot:
    return ServiceSnapshot(
        service_id=SERVICE_ID,
        service_version=version,
        slug="cloud-pbx",
        status="published",
        category="voice",
        name=SERVICE_NAME,
        description=LocalizedText(ja="クラウド型の電話交換機", en="A PBX in the cloud"),
        plans=(
            PlanSnapshot(
                plan_id=PLAN_ID,
                plan_version_id=PLAN_VERSION_ID,
                name=PLAN_NAME,
                monthly_fee=1_980,
                initial_fee=3_300,
            ),
        ),
        order_unit=5,
        max_quantity_per_order=50,
        takes_phone_orders=False,
        order_fields={
            "type": "object",
            "properties": {
                "extension_count": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 99,
                    "x-label": {"ja": "内線数", "en": "Extensions"},
                }
            },
            "required": ["extension_count"],
        },
        lead_time_business_days=5,
        activation_notice=BusinessDaysBeforeStart(business_days=3),
        requires_corporation=True,
        allows_account_transfer=False,
        free_first_month=True,
        cancellable_on_site=True,
        early_termination=RemainingMonthsTerminationFee(),
        minimum_term_months=12,
        withdrawal_requires_contracts_ended=True,
    )


def profile() -> MemberProfile:
    return MemberProfile(
        status="active",
        entity_type="sole_proprietor",
        name="山田 太郎",
        organization_name="山田商店",
        postal_code="1000001",
        address="東京都千代田区千代田1-1",
        contact_email="taro@example.jp",
        language="ja",
    )


def order_fields() -> dict[str, object]:
    return {
        "order_id": ORDER_ID,
        "member_id": MEMBER_ID,
        "aggregate_version": 2,
        "service_id": SERVICE_ID,
        "service_name": SERVICE_NAME,
        "plan_id": PLAN_ID,
        "plan_version_id": PLAN_VERSION_ID,
        "plan_name": PLAN_NAME,
        "quantity": 10,
        "planned_start_date": date(2027, 1, 12),
    }


def contract_fields() -> dict[str, object]:
    return {
        "contract_id": CONTRACT_ID,
        "order_id": ORDER_ID,
        "member_id": MEMBER_ID,
        "aggregate_version": 1,
        "service_id": SERVICE_ID,
        "service_name": SERVICE_NAME,
        "plan_id": PLAN_ID,
        "plan_name": PLAN_NAME,
        "quantity": 10,
    }


def invoice_fields() -> dict[str, object]:
    return {
        "invoice_id": uuid.uuid4(),
        "invoice_number": "T2027-000123",
        "member_id": MEMBER_ID,
        "aggregate_version": 1,
        "service_id": SERVICE_ID,
        "service_name": SERVICE_NAME,
        "usage_period_start": date(2027, 1, 1),
        "usage_period_end": date(2027, 1, 31),
        "due_date": date(2027, 2, 28),
        "total": 21_780,
        "payment_method": "invoice",
    }


@pytest.fixture(scope="session")
def samples(event_key: Fernet) -> dict[str, IntegrationEvent]:
    """One valid event per registered type, keyed by type name."""
    expires = NOW + timedelta(hours=24)
    events: list[IntegrationEvent] = [
        MemberRegistered(
            member_id=MEMBER_ID,
            aggregate_version=1,
            contact_email="taro@example.jp",
            language="ja",
            name="山田 太郎",
            sealed_verification_token=seal(event_key, "verify-5f1c"),
            token_expires_at=expires,
        ),
        MemberVerified(member_id=MEMBER_ID, aggregate_version=2, profile=profile()),
        MemberProfileChanged(
            member_id=MEMBER_ID,
            aggregate_version=3,
            profile=profile().model_copy(update={"language": "en", "department": "総務部"}),
        ),
        MemberEmailChangeRequested(
            member_id=MEMBER_ID,
            new_email="t.yamada@example.co.jp",
            sealed_confirmation_token=seal(event_key, "confirm-77aa"),
            token_expires_at=expires,
        ),
        PasswordResetRequested(
            member_id=MEMBER_ID,
            sealed_reset_token=seal(event_key, "reset-19bd"),
            token_expires_at=NOW + timedelta(hours=1),
        ),
        RegistrationAttemptedExisting(member_id=MEMBER_ID, attempted_at=NOW),
        DocumentReviewed(
            document_id=uuid.uuid4(),
            member_id=MEMBER_ID,
            aggregate_version=2,
            document_type="my_number_card_front",
            decision="approved",
            reviewed_at=NOW,
        ),
        WithdrawalDecided(
            withdrawal_id=uuid.uuid4(),
            member_id=MEMBER_ID,
            aggregate_version=2,
            decision="refused",
            blocking_items=(
                BlockingItem(
                    kind="contract",
                    id=CONTRACT_ID,
                    service_id=SERVICE_ID,
                    service_name=SERVICE_NAME,
                    ends_on=date(2027, 3, 31),
                ),
            ),
        ),
        ServicePublished(service_id=SERVICE_ID, aggregate_version=1, snapshot=service_snapshot(1)),
        ServiceUpdated(service_id=SERVICE_ID, aggregate_version=3, snapshot=service_snapshot(3)),
        ServiceRetired(service_id=SERVICE_ID, aggregate_version=4, snapshot=service_snapshot(4)),
        OrderPlaced(
            **order_fields() | {"aggregate_version": 1},
            status="awaiting_documents",
            monthly_fee=1_980,
            initial_fee=3_300,
            inquiry_reference="INQ-ORD-7K2M",
            placed_at=NOW,
        ),
        OrderAccepted(**order_fields()),
        OrderOnHold(**order_fields(), reason="申込内容に不備があります"),
        OrderRejected(**order_fields(), reason="本人確認書類が30日以内に提出されませんでした"),
        ContractActivated(
            **contract_fields(),
            planned_start_date=date(2027, 1, 12),
            start_date=date(2027, 1, 12),
            terms=ContractTerms(
                service_version=3,
                plan_version_id=PLAN_VERSION_ID,
                monthly_fee=1_980,
                initial_fee=3_300,
                free_first_month=True,
                allows_account_transfer=False,
                cancellable_on_site=True,
                early_termination=FixedTerminationFee(amount=10_000),
                minimum_term_months=12,
            ),
        ),
        ContractCancelled(
            **contract_fields() | {"aggregate_version": 2},
            end_date=date(2027, 6, 30),
            early_termination_fee=118_800,
        ),
        ActivationNoticeDue(
            order_id=ORDER_ID,
            member_id=MEMBER_ID,
            aggregate_version=4,
            service_id=SERVICE_ID,
            service_name=SERVICE_NAME,
            plan_name=PLAN_NAME,
            quantity=10,
            planned_start_date=date(2027, 1, 12),
            timing=OnActivation(),
        ),
        InvoiceIssued(**invoice_fields(), issue_date=date(2027, 2, 15)),
        InvoiceOverdue(**invoice_fields() | {"aggregate_version": 3}, amount_due=1_780),
        InvoiceDebitFailed(
            **invoice_fields() | {"aggregate_version": 2, "payment_method": "account_transfer"},
            result_code="1",
            reason=LocalizedText(ja="資金不足", en="insufficient funds"),
            collection_date=date(2027, 2, 27),
            amount_due=21_780,
            payee_bank_account="みずほ銀行 丸の内支店 普通 1234567",
        ),
        AccountTransferDecided(
            billing_account_id=uuid.uuid4(),
            member_id=MEMBER_ID,
            aggregate_version=2,
            decision="completed",
            payment_method="account_transfer",
        ),
        InquiryAnswered(
            inquiry_id=uuid.uuid4(),
            member_id=MEMBER_ID,
            aggregate_version=2,
            category="activation",
            order_id=ORDER_ID,
        ),
    ]
    return {event.TYPE: event for event in events}
