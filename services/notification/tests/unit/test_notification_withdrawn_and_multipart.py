"""R41: a withdrawn member's invoice emails carry the PDF, fetched from billing, and are never
recorded without it; R19/R26: notification keeps who placed each order from ordering's
events; every email is multipart (text and HTML) with links to the public address (R27) —
handlers and composer on the fakes, no database, broker or SMTP."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from markupsafe import escape

from bizmall_events import (
    Envelope,
    IntegrationEvent,
    InvoiceIssued,
    InvoiceOverdue,
    LocalizedText,
    MemberProfile,
    MemberProfileChanged,
    MemberVerified,
    OrderPlaced,
    WithdrawalDecided,
)
from bizmall_testkit.mail import body_of
from notification.adapters.rendering import MessageComposer
from notification.config import Settings
from notification.domain.delivery import Attachment, Delivery
from notification.domain.emails import TEMPLATES
from notification.service_layer import event_handlers as h

from .fakes import FakeBilling, FakeNotificationUnitOfWork
from .test_notification_templates import SAMPLES

NOW = datetime(2025, 4, 15, 3, 0, tzinfo=UTC)
MEMBER = uuid.UUID("00000000-0000-4000-8000-0000000000f1")
NAME = LocalizedText(ja="クラウドPBX", en="Cloud PBX")
BASE = "https://mall.example"


def _profile(status: str) -> MemberProfile:
    return MemberProfile(
        status=status,  # type: ignore[arg-type]
        entity_type="corporation",
        name="退会 太郎",
        organization_name="株式会社テスト",
        postal_code="1000001",
        address="東京都千代田区千代田1-1",
        contact_email="left@example.jp",
        language="ja",
    )


async def _handle(
    uow: FakeNotificationUnitOfWork, handler: Any, event: IntegrationEvent, **deps: Any
) -> Envelope:
    envelope = Envelope.wrap(event, producer="test", correlation_id="c")
    async with uow:
        await handler(event, uow=uow, envelope=envelope, **deps)
        await uow.commit()
    return envelope


async def _member(*, withdrawn: bool) -> FakeNotificationUnitOfWork:
    uow = FakeNotificationUnitOfWork(now=NOW)
    await _handle(
        uow,
        h.on_member_changed,
        MemberVerified(member_id=MEMBER, aggregate_version=2, profile=_profile("active")),
    )
    if withdrawn:
        # Identity withdraws the member: the member event says so (R11).
        await _handle(
            uow,
            h.on_member_changed,
            MemberProfileChanged(
                member_id=MEMBER, aggregate_version=3, profile=_profile("withdrawn")
            ),
        )
    return uow


def _issued() -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=uuid.uuid4(),
        invoice_number="INV-2025-000777",
        member_id=MEMBER,
        service_id=uuid.uuid4(),
        service_name=NAME,
        usage_period_start=date(2025, 3, 1),
        usage_period_end=date(2025, 3, 31),
        due_date=date(2025, 4, 30),
        total=11000,
        payment_method="invoice",
        issue_date=date(2025, 4, 15),
        aggregate_version=1,
    )


async def test_r41_a_withdrawn_members_invoice_email_is_recorded_with_the_pdf() -> None:
    uow, billing = await _member(withdrawn=True), FakeBilling()
    event = _issued()
    await _handle(uow, h.on_invoice_issued, event, billing=billing)
    [delivery] = uow.deliveries
    assert billing.asked == [event.invoice_id]
    [attachment] = delivery.attachments
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == "invoice-INV-2025-000777.pdf"
    assert attachment.content.startswith(b"%PDF")
    assert delivery.payload["pdf_attached"] is True


async def test_r41_an_active_members_invoice_email_links_the_pdf_and_billing_is_not_asked() -> None:
    uow, billing = await _member(withdrawn=False), FakeBilling()
    await _handle(uow, h.on_invoice_issued, _issued(), billing=billing)
    [delivery] = uow.deliveries
    assert billing.asked == [] and delivery.attachments == ()
    assert delivery.payload["pdf_attached"] is False


@pytest.mark.parametrize("handler", ["on_invoice_issued", "on_invoice_overdue"])
async def test_r41_when_billing_cannot_give_the_pdf_nothing_is_recorded_and_the_event_retries(
    handler: str,
) -> None:
    uow, billing = await _member(withdrawn=True), FakeBilling()
    billing.failure = ConnectionError("billing is down")
    issued = _issued()
    event: IntegrationEvent = issued
    if handler == "on_invoice_overdue":
        fields = issued.model_dump(exclude={"issue_date", "corrects_invoice_id"})
        event = InvoiceOverdue(**{**fields, "amount_due": 11000, "aggregate_version": 2})
    with pytest.raises(ConnectionError):
        await _handle(uow, getattr(h, handler), event, billing=billing)
    # The consumer retries the event (R27); no email goes without the PDF.
    assert len(uow.deliveries) == 0 and uow.rollbacks == 1
    billing.failure = None
    await _handle(uow, getattr(h, handler), event, billing=billing)
    [delivery] = uow.deliveries
    assert delivery.attachments[0].content.startswith(b"%PDF")


async def test_r41_the_withdrawal_decision_alone_marks_the_member_withdrawn() -> None:
    uow, billing = await _member(withdrawn=False), FakeBilling()
    await _handle(
        uow,
        h.on_withdrawal_decided,
        WithdrawalDecided(
            withdrawal_id=uuid.uuid4(), member_id=MEMBER, decision="withdrawn", aggregate_version=2
        ),
    )
    contact = await uow.contacts.get(MEMBER)
    assert contact is not None and contact.withdrawn
    await _handle(uow, h.on_invoice_issued, _issued(), billing=billing)
    invoice_mail = next(d for d in uow.deliveries if d.template == "invoice_issued")
    assert len(invoice_mail.attachments) == 1


async def test_r19_order_events_keep_who_placed_each_order() -> None:
    uow = await _member(withdrawn=False)
    order_id = uuid.uuid4()
    placed = OrderPlaced(
        order_id=order_id,
        member_id=MEMBER,
        service_id=uuid.uuid4(),
        service_name=NAME,
        plan_id=uuid.uuid4(),
        plan_version_id=uuid.uuid4(),
        plan_name=NAME,
        quantity=1,
        planned_start_date=date(2025, 5, 1),
        aggregate_version=1,
        status="received",
        monthly_fee=1000,
        initial_fee=0,
        inquiry_reference="Q-1",
        placed_at=NOW,
    )
    await _handle(uow, h.on_order_placed, placed)
    assert await uow.orders.owner_of(order_id) == MEMBER
    assert await uow.orders.owner_of(uuid.uuid4()) is None


def _delivery(template: str, language: str, attachments: tuple[Attachment, ...] = ()) -> Delivery:
    data, _ = SAMPLES[template]
    return Delivery.queue(
        event_id=uuid.uuid4(),
        event_type="test",
        template=template,
        member_id=MEMBER,
        recipient="m@example.jp",
        language=language,
        payload={"name": "山田 <太郎>", **data},
        at=NOW,
        attachments=attachments,
    )


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_r27_every_email_is_text_and_html_from_the_same_data_with_absolute_links(
    template: str, language: str
) -> None:
    composer = MessageComposer(Settings(web_base_url=f"{BASE}/"))
    message = composer.compose(_delivery(template, language))
    assert message.get_content_type() == "multipart/alternative"
    text, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html_part is not None
    html = html_part.get_content()
    assert f'<html lang="{language}">' in html
    assert "山田 &lt;太郎&gt;" in html and "山田 <太郎>" in body_of(message)  # escaped
    # Every link of the text is a link of the HTML, and every link points at the site.
    text_links = set(re.findall(r"https?://[^\s）」]+", body_of(message)))
    html_links = set(re.findall(r'href="([^"]+)"', html))
    assert text_links and text_links <= html_links
    assert all(link.startswith(BASE) for link in html_links), html_links
    # The same wording: each non-blank text line shows in the HTML.
    for line in body_of(message).splitlines():
        if line.strip() and line.strip() != "--" and "://" not in line:
            assert str(escape(line.strip())) in html, line


def test_r41_a_delivery_with_a_pdf_is_mixed_with_the_pdf_attached() -> None:
    pdf = Attachment("invoice-1.pdf", "application/pdf", b"%PDF-1.4 test")
    data, _ = SAMPLES["invoice_issued"]
    delivery = _delivery("invoice_issued", "ja", (pdf,))
    delivery.payload = {**delivery.payload, "pdf_attached": True}
    message = MessageComposer(Settings(web_base_url=BASE)).compose(delivery)
    assert message.get_content_type() == "multipart/mixed"
    [attached] = list(message.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == "invoice-1.pdf"
    assert attached.get_content() == b"%PDF-1.4 test"
    assert "添付しています" in body_of(message)
    assert f"{BASE}/invoices/{data['invoice_id']}" not in body_of(message)  # no login link
