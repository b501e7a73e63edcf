"""Emails (R16, R27): each event sends its template to the member's current address, once;
SMTP outages delay mail but lose none; tokens stay sealed outside the email itself."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

from cryptography.fernet import Fernet

from bizmall_events import (
    AccountTransferDecided,
    ActivationNoticeDue,
    BlockingItem,
    ContractCancelled,
    DocumentReviewed,
    IntegrationEvent,
    InvoiceIssued,
    InvoiceOverdue,
    LocalizedText,
    MemberEmailChangeRequested,
    MemberProfileChanged,
    MemberRegistered,
    OnActivation,
    OrderAccepted,
    OrderOnHold,
    OrderPlaced,
    OrderRejected,
    PasswordResetRequested,
    RegistrationAttemptedExisting,
    WithdrawalDecided,
)
from bizmall_testkit.mail import body_of
from servicekit.metrics import REGISTRY
from servicekit.testing.helpers import eventually
from servicekit.testing.smtp import SmtpSink, free_port
from servicekit.testing.tcpproxy import TcpProxy

#: The running service (the ``notification`` fixture of conftest.py).
Notification = Any

SERVICE_NAME = LocalizedText(ja="クラウドPBX", en="Cloud PBX")
PLAN_NAME = LocalizedText(ja="スタンダード", en="Standard")
NOW = datetime.now(UTC)


def order_fields(member_id: uuid.UUID, order_id: uuid.UUID) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "member_id": member_id,
        "service_id": uuid.uuid4(),
        "service_name": SERVICE_NAME,
        "plan_id": uuid.uuid4(),
        "plan_version_id": uuid.uuid4(),
        "plan_name": PLAN_NAME,
        "quantity": 2,
        "planned_start_date": date(2025, 4, 1),
    }


def invoice_fields(member_id: uuid.UUID) -> dict[str, Any]:
    return {
        "invoice_id": uuid.uuid4(),
        "invoice_number": "INV-000123",
        "member_id": member_id,
        "service_id": uuid.uuid4(),
        "service_name": SERVICE_NAME,
        "usage_period_start": date(2025, 3, 1),
        "usage_period_end": date(2025, 3, 31),
        "due_date": date(2025, 4, 30),
        "total": 26400,
        "payment_method": "invoice",
    }


def placed(member_id: uuid.UUID, order_id: uuid.UUID | None = None) -> OrderPlaced:
    return OrderPlaced(
        **order_fields(member_id, order_id or uuid.uuid4()),
        aggregate_version=1,
        status="received",
        monthly_fee=12000,
        initial_fee=3000,
        inquiry_reference="Q-1234",
        placed_at=NOW,
    )


def cancelled(member_id: uuid.UUID, **overrides: Any) -> ContractCancelled:
    fields = order_fields(member_id, uuid.uuid4())
    del fields["plan_version_id"], fields["planned_start_date"]
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


def member_events(n: Notification, member_id: uuid.UUID) -> dict[str, IntegrationEvent]:
    """One event per member email (template → event), besides verification and email change."""
    order_id = uuid.uuid4()
    return {
        "password_reset": PasswordResetRequested(
            member_id=member_id,
            sealed_reset_token=n.seal("reset-1"),
            token_expires_at=n.in_hours(1),
        ),
        "registration_attempt_existing": RegistrationAttemptedExisting(
            member_id=member_id, attempted_at=NOW
        ),
        "document_reviewed": DocumentReviewed(
            document_id=uuid.uuid4(),
            member_id=member_id,
            document_type="drivers_license",
            decision="rejected",
            reason="画像が不鮮明",
            reviewed_at=NOW,
            aggregate_version=2,
        ),
        "order_confirmation": placed(member_id, order_id),
        "order_accepted": OrderAccepted(**order_fields(member_id, order_id), aggregate_version=2),
        "order_on_hold": OrderOnHold(
            **order_fields(member_id, order_id), aggregate_version=3, reason="ドメイン確認待ち"
        ),
        "order_rejected": OrderRejected(
            **order_fields(member_id, order_id), aggregate_version=4, reason="書類未着"
        ),
        "activation_notice": ActivationNoticeDue(
            order_id=order_id,
            member_id=member_id,
            service_id=uuid.uuid4(),
            service_name=SERVICE_NAME,
            plan_name=PLAN_NAME,
            quantity=2,
            planned_start_date=date(2025, 4, 1),
            timing=OnActivation(),
            aggregate_version=5,
        ),
        "contract_cancelled": cancelled(member_id),
        "invoice_issued": InvoiceIssued(
            **invoice_fields(member_id), issue_date=date(2025, 4, 15), aggregate_version=1
        ),
        "invoice_overdue": InvoiceOverdue(
            **invoice_fields(member_id), amount_due=26400, aggregate_version=2
        ),
        "account_transfer_decided": AccountTransferDecided(
            billing_account_id=uuid.uuid4(),
            member_id=member_id,
            decision="completed",
            payment_method="account_transfer",
            aggregate_version=3,
        ),
        "withdrawal_decided": WithdrawalDecided(
            withdrawal_id=uuid.uuid4(),
            member_id=member_id,
            decision="refused",
            blocking_items=(
                BlockingItem(
                    kind="contract",
                    id=uuid.uuid4(),
                    service_id=uuid.uuid4(),
                    service_name=SERVICE_NAME,
                ),
            ),
            aggregate_version=1,
        ),
    }


def of_event(event_id: uuid.UUID) -> Any:
    return lambda m: m["X-Bizmall-Event-ID"] == str(event_id)


def mails_of(sink: SmtpSink, event_id: uuid.UUID) -> list[EmailMessage]:
    return [m for m in sink.messages if m["X-Bizmall-Event-ID"] == str(event_id)]


async def test_r27_each_event_sends_its_template_to_the_member_once_even_when_delivered_twice(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    member_id = await notification.member(email="taro@example.jp", language="en", name="Taro")
    envelopes = {}
    for template, event in member_events(notification, member_id).items():
        envelope = await notification.publish(event)
        await notification.runtime.bus.publish(envelope)  # the broker redelivers it
        envelopes[template] = envelope
    for template, envelope in envelopes.items():
        mail = await smtp_sink.wait_for(of_event(envelope.id))
        assert mail["X-Bizmall-Template"] == template
        assert mail["To"] == "taro@example.jp"
        assert "Dear Taro" in body_of(mail)  # the member's language (en)
    # A later event's mail arriving means the earlier duplicates were consumed already.
    sentinel = await notification.publish(placed(member_id))
    await smtp_sink.wait_for(of_event(sentinel.id))
    for template, envelope in envelopes.items():
        assert len(mails_of(smtp_sink, envelope.id)) == 1, template
        await eventually(lambda e=envelope: _state_is(notification, e.id, "sent"))
        [row] = await notification.deliveries(event_id=envelope.id)
        assert (row.state, row.attempts) == ("sent", 1)


async def test_r19_order_confirmation_links_the_order_bound_inquiry_form(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    member_id = await notification.member(email="hanako@example.jp")
    order_id = uuid.uuid4()
    envelope = await notification.publish(placed(member_id, order_id))
    mail = await smtp_sink.wait_for(of_event(envelope.id))
    body = body_of(mail)
    assert "クラウドPBX" in mail["Subject"]
    assert f"http://localhost:8000/inquiries/new?order_id={order_id}" in body
    assert "12,000円" in body


async def test_r32_a_contract_ended_by_ops_emails_the_member_end_date_and_fee_once(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    member_id = await notification.member(email="iot@example.jp")
    event = cancelled(member_id, service_name=LocalizedText(ja="IoT SIM", en="IoT SIM"))
    envelope = await notification.publish(event)
    await notification.runtime.bus.publish(envelope)  # the broker redelivers it
    mail = await smtp_sink.wait_for(of_event(envelope.id))
    body = body_of(mail)
    assert (mail["To"], mail["X-Bizmall-Template"]) == ("iot@example.jp", "contract_cancelled")
    assert "ご解約の受付（IoT SIM）" in mail["Subject"]
    assert "解約日（ご利用最終日）：2025年9月30日" in body
    assert "解約金：5,000円（不課税）" in body
    assert "コンタクトセンターへのお申し出により" in body
    assert "お電話で解約のお申し出" not in body  # ops's reason stays in the back office
    # The member's own cancellation on the site sends the same email, without the fee.
    own = await notification.publish(
        cancelled(member_id, cancelled_by="member", reason=None, early_termination_fee=0)
    )
    own_mail = await smtp_sink.wait_for(of_event(own.id))
    assert "解約金：なし" in body_of(own_mail)
    assert "コンタクトセンターへのお申し出" not in body_of(own_mail)
    assert len(mails_of(smtp_sink, envelope.id)) == 1
    await eventually(lambda: _state_is(notification, envelope.id, "sent"))
    assert len(await notification.deliveries(event_id=envelope.id)) == 1


async def test_r6_verification_link_holds_the_token_which_never_reaches_the_database(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    member_id = uuid.uuid4()
    token = f"verify-{uuid.uuid4().hex}"
    envelope = await notification.publish(
        MemberRegistered(
            member_id=member_id,
            contact_email="new@example.jp",
            language="ja",
            name="新規 会員",
            sealed_verification_token=notification.seal(token),
            token_expires_at=notification.in_hours(24),
            aggregate_version=1,
        )
    )
    mail = await smtp_sink.wait_for(of_event(envelope.id))
    assert mail["To"] == "new@example.jp"
    assert f"http://localhost:8000/verify-email?token={token}" in body_of(mail)
    [row] = await notification.deliveries(event_id=envelope.id)
    assert token not in str(row.payload) and token not in str(row.last_error)
    assert (await notification.contact(member_id)).status == "pending_verification"  # type: ignore[union-attr]


async def test_r16_email_waits_for_a_late_member_copy_then_is_sent(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    member_id = uuid.uuid4()
    envelope = await notification.publish(placed(member_id))
    # The order's event came first: it is retried, not dropped, while the copy is missing.
    await eventually(lambda: _retried(notification, envelope.id))
    assert await notification.deliveries(event_id=envelope.id) == []
    await notification.publish(notification.member_verified(member_id, "late@example.jp"))
    mail = await smtp_sink.wait_for(of_event(envelope.id))
    assert mail["To"] == "late@example.jp"


async def _retried(n: Notification, event_id: uuid.UUID) -> bool:
    # Each retry goes through the delay queue; the inbox stays empty until one succeeds.
    from sqlalchemy import text

    async with n.runtime.sessions() as session:
        handled = await session.scalar(
            text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": event_id}
        )
    channel = await n.runtime.bus.channel()
    try:
        names = [f"{n.settings.queue_prefix}.notification.retry.{d}" for d in (300, 600)]
        waiting = 0
        for name in names:
            queue = await channel.declare_queue(name, passive=True)
            waiting += queue.declaration_result.message_count or 0
    finally:
        await channel.close()
    return handled == 0 and waiting > 0


async def test_r9_contact_changes_follow_the_newest_version_and_confirmation_goes_to_new_address(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    member_id = await notification.member(email="old@example.jp", version=2)
    change = await notification.publish(
        MemberEmailChangeRequested(
            member_id=member_id,
            new_email="new@example.jp",
            sealed_confirmation_token=notification.seal("confirm-1"),
            token_expires_at=notification.in_hours(24),
        )
    )
    mail = await smtp_sink.wait_for(of_event(change.id))
    assert mail["To"] == "new@example.jp"
    assert "/me/email/confirm?token=confirm-1" in body_of(mail)

    profile = notification.member_verified(member_id, "new@example.jp", version=3).profile
    await notification.publish(
        MemberProfileChanged(member_id=member_id, profile=profile, aggregate_version=3)
    )
    await eventually(lambda: _email_is(notification, member_id, "new@example.jp"))
    stale = notification.member_verified(member_id, "stale@example.jp", version=2).profile
    await notification.publish(
        MemberProfileChanged(member_id=member_id, profile=stale, aggregate_version=2)
    )
    order = await notification.publish(placed(member_id))
    assert (await smtp_sink.wait_for(of_event(order.id)))["To"] == "new@example.jp"


async def _email_is(n: Notification, member_id: uuid.UUID, email: str) -> bool:
    contact = await n.contact(member_id)
    return contact is not None and contact.email == email


async def test_r27_smtp_outage_delays_mail_but_loses_none(
    start_notification: Any, smtp_sink: SmtpSink
) -> None:
    proxy = TcpProxy(smtp_sink.host, smtp_sink.port)  # not started: SMTP is down
    async with start_notification(
        smtp_host="127.0.0.1",
        smtp_port=proxy.port,
        # Enough attempts that a loaded machine cannot exhaust them before SMTP is back.
        delivery_retry_seconds=[0.3, 0.6, 1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 10.0, 10.0, 30.0],
    ) as n:
        member_id = await n.member(email="outage@example.jp")
        envelopes = [await n.publish(placed(member_id)) for _ in range(3)]
        for envelope in envelopes:
            await eventually(lambda e=envelope: _failed_once(n, e.id))
        assert smtp_sink.messages == []
        await proxy.start()  # SMTP is back
        try:
            for envelope in envelopes:
                await smtp_sink.wait_for(of_event(envelope.id))
                # The row is marked sent just after the server accepted the mail.
                await eventually(lambda e=envelope: _state_is(n, e.id, "sent"))
            for envelope in envelopes:
                [row] = await n.deliveries(event_id=envelope.id)
                assert row.state == "sent" and row.attempts >= 2
                assert len(mails_of(smtp_sink, envelope.id)) == 1
        finally:
            await proxy.cut()


async def _failed_once(n: Notification, event_id: uuid.UUID) -> bool:
    rows = await n.deliveries(event_id=event_id)
    return (
        bool(rows)
        and rows[0].state == "pending"
        and rows[0].attempts >= 1
        and bool(rows[0].last_error)
    )


async def test_r27_after_the_last_attempt_the_failure_is_shown_to_ops(
    start_notification: Any, token_issuer: Any
) -> None:
    failures = ("bizmall_email_send_failures_total", {"template": "order_confirmation"})
    failed_before = REGISTRY.get_sample_value(*failures) or 0.0
    async with start_notification(smtp_port=free_port(), delivery_retry_seconds=[0.1, 0.2]) as n:
        member_id = await n.member()
        envelope = await n.publish(placed(member_id))
        await eventually(lambda: _state_is(n, envelope.id, "failed"))
        # Each failed attempt is counted for /metrics (issue 10: email send failures).
        assert (REGISTRY.get_sample_value(*failures) or 0.0) - failed_before == 3
        answer = await n.client.get(
            "/api/v1/ops/notification/deliveries",
            params={"state": "failed"},
            headers=token_issuer.ops(),
        )
        assert answer.status_code == 200, answer.text
        [item] = answer.json()["items"]
        assert item["event_id"] == str(envelope.id)
        assert item["attempts"] == 3 and item["last_error"]
        assert "payload" not in item
        member = await n.client.get(
            "/api/v1/ops/notification/deliveries", headers=token_issuer.member()
        )
        assert member.status_code == 403
        retried = await n.client.post(
            f"/api/v1/ops/notification/deliveries/{item['id']}/retry", headers=token_issuer.ops()
        )
        assert retried.status_code == 200 and retried.json()["attempts"] == 0
        again = await n.client.post(
            f"/api/v1/ops/notification/deliveries/{item['id']}/retry", headers=token_issuer.ops()
        )
        assert again.status_code in (200, 409)


async def _state_is(n: Notification, event_id: uuid.UUID, state: str) -> bool:
    rows = await n.deliveries(event_id=event_id)
    return bool(rows) and rows[0].state == state


async def test_r27_a_burst_goes_out_in_batches_once_each_and_a_broken_email_holds_up_none(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    """The sender claims one delivery per SMTP connection and mails them side by side:
    a burst larger than a batch is mailed exactly once each, and an email that cannot
    be rendered (a reset token sealed with another key) fails alone in its batch."""
    member_id = await notification.member(email="burst@example.jp")
    broken = await notification.publish(
        PasswordResetRequested(
            member_id=member_id,
            # Well-formed ciphertext, but of another key: the sender cannot open it.
            sealed_reset_token=Fernet(Fernet.generate_key()).encrypt(b"reset-2").decode(),
            token_expires_at=notification.in_hours(1),
        )
    )
    burst = [await notification.publish(placed(member_id)) for _ in range(13)]
    assert len(burst) > 3 * notification.settings.delivery_concurrency
    for envelope in burst:
        await smtp_sink.wait_for(of_event(envelope.id))
        await eventually(lambda e=envelope: _state_is(notification, e.id, "sent"))
    await eventually(lambda: _state_is(notification, broken.id, "failed"))
    for envelope in burst:
        [row] = await notification.deliveries(event_id=envelope.id)
        assert row.attempts == 1 and row.sent_at is not None
        assert len(mails_of(smtp_sink, envelope.id)) == 1
    [row] = await notification.deliveries(event_id=broken.id)
    assert row.attempts == 1 and row.sent_at is None and "cannot render" in (row.last_error or "")
    assert mails_of(smtp_sink, broken.id) == []
