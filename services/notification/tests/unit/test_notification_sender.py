"""R27: the delivery lifecycle — queued, sent, retried with growing delays, failed for ops
and sent again by them — the sender on a fake unit of work and fake SMTP connections."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest

from bizmall_testkit.mail import body_of
from notification.adapters.rendering import MessageComposer
from notification.config import Settings
from notification.domain.contacts import MemberContact
from notification.domain.delivery import Delivery, DeliveryNotFailed, DeliveryNotFound
from notification.domain.emails import SEALED_TOKEN_KEY
from notification.service_layer import deliveries
from notification.service_layer.sender import DeliverySender, SenderPolicy
from servicekit.crypto import SecretBox

from .fakes import FakeMailer, FakeNotificationUnitOfWork

NOW = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
MEMBER = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
DELAYS = [30.0, 120.0]
SETTINGS = Settings(web_base_url="https://mall.example/")


class Harness:
    """A sender over ``mailers`` fake SMTP connections; ``failing`` makes them refuse."""

    def __init__(self, mailers: int = 2) -> None:
        self.uow = FakeNotificationUnitOfWork(now=NOW)
        self.sent: list[EmailMessage] = []
        self.failure: Exception | None = None
        self.sender = DeliverySender(
            uow_factory=lambda: self.uow,
            composer=MessageComposer(SETTINGS),
            mailer_factory=lambda: FakeMailer(self.sent, lambda: self.failure),
            policy=SenderPolicy(retry_delays=DELAYS, concurrency=mailers),
        )
        self.mailers = [FakeMailer(self.sent, lambda: self.failure) for _ in range(mailers)]

    async def record(self, template: str = "order_accepted", **fields: Any) -> Delivery:
        values: dict[str, Any] = {
            "event_id": uuid.uuid4(),
            "event_type": "ordering.order.accepted",
            "template": template,
            "member_id": MEMBER,
            "recipient": "taro@example.jp",
            "language": "ja",
            "payload": _order_payload(),
        }
        values.update(fields)
        async with self.uow:
            await deliveries.record_delivery(uow=self.uow, **values)
            await self.uow.commit()
        [delivery] = self.uow.deliveries.where(lambda d: d.event_id == values["event_id"])
        return delivery

    async def send_due(self) -> int:
        return await self.sender.send_due(self.mailers)

    async def fail_every_attempt(self) -> None:
        """SMTP refuses each attempt, each made as soon as it is due (30 s, then 120 s)."""
        self.failure = aiosmtplib.SMTPServerDisconnected("gone")
        for elapsed in (0, 30, 150):
            self.later(elapsed)
            await self.send_due()

    def later(self, seconds: float) -> None:
        self.uow.clock.pin(NOW + timedelta(seconds=seconds))


def _order_payload() -> dict[str, Any]:
    order_id = "0b6f5c1e-8a51-4c0e-9d7c-2f1f3a9b7c11"
    return {
        "name": "山田 太郎",
        "order_id": order_id,
        "service_name": {"ja": "クラウドPBX", "en": "Cloud PBX"},
        "plan_name": {"ja": "スタンダード", "en": "Standard"},
        "quantity": 1,
        "planned_start_date": "2025-05-01",
        "inquiry_path": f"/inquiries/new?order_id={order_id}",
    }


async def test_r27_a_recorded_email_is_queued_pending_and_wakes_the_sender() -> None:
    h = Harness()
    delivery = await h.record()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, NOW)
    assert h.uow.deliveries.wakeups == 1 and h.sent == []


async def test_r27_an_unknown_template_is_never_queued() -> None:
    h = Harness()
    with pytest.raises(ValueError, match="unknown email template"):
        await h.record(template="newsletter")
    assert len(h.uow.deliveries) == 0


async def test_r27_the_sender_mails_a_due_email_once_and_marks_it_sent() -> None:
    h = Harness()
    delivery = await h.record()
    assert await h.send_due() == 1
    assert (delivery.state, delivery.attempts, delivery.sent_at) == ("sent", 1, NOW)
    [message] = h.sent
    assert message["To"] == "taro@example.jp"
    assert message["Message-ID"] == f"<{delivery.id}@notification.bizmall>"
    assert message["X-Bizmall-Event-ID"] == str(delivery.event_id)
    assert await h.send_due() == 0 and len(h.sent) == 1  # never twice


async def test_r27_the_email_is_in_the_members_language() -> None:
    h = Harness()
    await h.record(language="en")
    await h.record(language="ja")
    await h.send_due()
    subjects = sorted(message["Subject"] for message in h.sent)
    assert len(set(subjects)) == 2 and any("Cloud PBX" in s for s in subjects)


async def test_r27_a_failed_send_is_retried_later_with_a_growing_delay() -> None:
    h = Harness()
    delivery = await h.record()
    h.failure = aiosmtplib.SMTPServerDisconnected("gone")
    await h.send_due()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30)
    assert delivery.last_error == "SMTPServerDisconnected: gone"
    h.later(29)
    assert await h.send_due() == 0  # not due yet
    h.later(30)
    await h.send_due()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30 + 120)


async def test_r27_after_the_last_attempt_the_delivery_fails_for_ops() -> None:
    h = Harness()
    delivery = await h.record()
    await h.fail_every_attempt()
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    h.later(10_000)
    assert await h.send_due() == 0
    page = await deliveries.list_deliveries(
        uow=h.uow,
        state="failed",
        template=None,
        member_id=None,
        event_id=None,
        limit=10,
        cursor=None,
    )
    assert [d.id for d in page.items] == [delivery.id]


async def test_r27_an_smtp_outage_delays_mail_but_loses_none() -> None:
    h = Harness()
    delivery = await h.record()
    h.failure = ConnectionRefusedError("smtp down")
    await h.send_due()
    h.failure = None
    h.later(30)
    await h.send_due()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 2, None)
    assert delivery.sent_at == NOW + timedelta(seconds=30) and len(h.sent) == 1


async def test_r27_an_email_that_cannot_be_rendered_fails_at_once_and_holds_up_none() -> None:
    h = Harness()
    broken = await h.record(
        template="password_reset",
        payload={"token_expires_at": NOW.isoformat(), SEALED_TOKEN_KEY: "not-a-sealed-token"},
    )
    fine = await h.record()
    await h.send_due()
    assert (broken.state, broken.attempts) == ("failed", 1)
    assert "cannot render password_reset" in (broken.last_error or "")
    assert fine.state == "sent" and len(h.sent) == 1


async def test_r10_the_one_time_token_is_opened_only_into_the_emails_link() -> None:
    h = Harness()
    sealed = SecretBox(SETTINGS.event_secret_key).seal("reset token/1")
    delivery = await h.record(
        template="password_reset",
        payload={"name": "太郎", "token_expires_at": NOW.isoformat(), SEALED_TOKEN_KEY: sealed},
    )
    await h.send_due()
    [message] = h.sent
    link = "https://mall.example/password-reset/confirm?token=reset%20token%2F1"
    assert link in body_of(message)
    assert delivery.payload[SEALED_TOKEN_KEY] == sealed  # the stored copy stays sealed


async def test_r27_a_batch_claims_one_delivery_per_connection_and_sends_them_all() -> None:
    h = Harness(mailers=2)
    recorded = [await h.record() for _ in range(5)]
    claimed = await h.sender.attempt_batch(h.mailers)
    assert claimed == 2 and len(h.sent) == 2
    assert await h.send_due() == 3
    assert all(d.state == "sent" and d.attempts == 1 for d in recorded)
    # 5 recorded, then one transaction per batch (2, 2, 1) and the claim that found none.
    assert h.uow.committed == 5 + 4


async def test_r26_an_answer_email_is_addressed_once_the_members_copy_arrives() -> None:
    h = Harness()
    delivery = await h.record(
        template="inquiry_answer",
        recipient=None,
        language=None,
        payload={"inquiry_id": str(uuid.uuid4()), "subject": "開通日", "answer": "4月1日です。"},
    )
    await h.send_due()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "LookupError: the member's contact email is not known yet"
    h.uow.contacts.put(
        MemberContact(
            member_id=MEMBER,
            email="asker@example.jp",
            language="en",
            name="Hanako",
            status="active",
            version=2,
            updated_at=NOW,
        )
    )
    h.later(30)
    await h.send_due()
    assert (delivery.state, delivery.recipient, delivery.language) == (
        "sent",
        "asker@example.jp",
        "en",
    )
    [message] = h.sent
    assert message["To"] == "asker@example.jp" and "Hanako" in body_of(message)


async def test_r27_ops_send_a_failed_email_again_with_fresh_attempts_audited() -> None:
    h = Harness()
    delivery = await h.record()
    await h.fail_every_attempt()
    h.failure = None
    h.later(3600)
    async with h.uow:
        await deliveries.retry_delivery(uow=h.uow, delivery_id=delivery.id, actor="ops-1")
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert delivery.next_attempt_at == NOW + timedelta(seconds=3600)
    assert [e.target for e in h.uow.audited("delivery.retried")] == [str(delivery.id)]
    assert h.uow.deliveries.wakeups == 2
    await h.send_due()
    assert delivery.state == "sent"


async def test_r27_only_a_failed_delivery_can_be_sent_again() -> None:
    h = Harness()
    delivery = await h.record()
    with pytest.raises(DeliveryNotFailed):
        async with h.uow:
            await deliveries.retry_delivery(uow=h.uow, delivery_id=delivery.id, actor="ops-1")
    with pytest.raises(DeliveryNotFound):
        async with h.uow:
            await deliveries.retry_delivery(uow=h.uow, delivery_id=uuid.uuid4(), actor="ops-1")
    assert h.uow.audit_log == []


async def test_r27_ops_page_through_deliveries_newest_first_by_member() -> None:
    h = Harness()
    recorded = []
    for seconds in range(3):
        h.later(seconds)
        recorded.append(await h.record())
    await h.record(member_id=uuid.uuid4())
    first = await deliveries.list_deliveries(
        uow=h.uow, state=None, template=None, member_id=MEMBER, event_id=None, limit=2, cursor=None
    )
    rest = await deliveries.list_deliveries(
        uow=h.uow,
        state=None,
        template=None,
        member_id=MEMBER,
        event_id=None,
        limit=2,
        cursor=first.next_cursor,
    )
    assert [d.id for d in first.items + rest.items] == [d.id for d in reversed(recorded)]
    assert rest.next_cursor is None
