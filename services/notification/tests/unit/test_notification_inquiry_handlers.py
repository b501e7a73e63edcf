"""R26 (and R19, R15's rule, R29): members ask, ops answer, the member is emailed — the
service layer on a fake unit of work, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bizmall_events import (
    Envelope,
    InquiryAnswered,
    MemberProfile,
    MemberRegistered,
    MemberVerified,
)
from notification.domain.contacts import MemberContact
from notification.domain.inquiries import Inquiry, InquiryClosed, InquiryNotFound
from notification.domain.orders import InquiryOrderNotFound
from notification.service_layer import event_handlers, inquiries
from servicekit.pagination import InvalidCursor

from .fakes import FakeNotificationUnitOfWork
from .test_notification_event_emails import SEALED

NOW = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
MEMBER = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
OTHER = uuid.UUID("00000000-0000-4000-8000-0000000000b2")


def _uow() -> FakeNotificationUnitOfWork:
    return FakeNotificationUnitOfWork(now=NOW)


def _contact(member_id: uuid.UUID = MEMBER, language: str = "ja") -> MemberContact:
    return MemberContact(
        member_id=member_id,
        email="asker@example.jp",
        language=language,
        name="問合 花子",
        status="active",
        version=2,
        updated_at=NOW,
    )


async def _ask(
    uow: FakeNotificationUnitOfWork,
    member_id: uuid.UUID = MEMBER,
    order_id: uuid.UUID | None = None,
) -> Inquiry:
    async with uow:
        return await inquiries.submit_inquiry(
            uow=uow,
            member_id=member_id,
            category="order",
            subject="開通日",
            body="いつですか",
            order_id=order_id,
        )


async def _answer(uow: FakeNotificationUnitOfWork, inquiry: Inquiry, body: str) -> Inquiry:
    async with uow:
        return await inquiries.answer_inquiry(
            uow=uow, inquiry_id=inquiry.id, body=body, actor="ops-1"
        )


async def test_r26_a_member_asks_and_the_inquiry_is_open_and_bound_to_the_order() -> None:
    uow, order_id = _uow(), uuid.uuid4()
    uow.orders.owners[order_id] = MEMBER  # ordering's order event came (R19)
    inquiry = await _ask(uow, order_id=order_id)
    stored = uow.inquiries.items[inquiry.id]
    assert (stored.status, stored.order_id, stored.member_id) == ("open", order_id, MEMBER)
    assert stored.created_at == NOW and uow.committed == 1


async def test_r26_an_ops_answer_is_kept_and_the_inquiry_is_answered() -> None:
    uow = _uow()
    inquiry = await _ask(uow)
    answered = await _answer(uow, inquiry, "4月1日です。")
    assert answered.status == "answered" and answered.version == 2
    [answer] = answered.answers
    assert (answer.body, answer.answered_by, answer.answered_at) == ("4月1日です。", "ops-1", NOW)


async def test_r26_an_answer_publishes_inquiry_answered_with_the_inquiry() -> None:
    uow, order_id = _uow(), uuid.uuid4()
    uow.orders.owners[order_id] = MEMBER
    inquiry = await _ask(uow, order_id=order_id)
    await _answer(uow, inquiry, "回答")
    [event] = uow.events_of(InquiryAnswered)
    assert (event.inquiry_id, event.member_id, event.order_id) == (inquiry.id, MEMBER, order_id)
    assert event.category == "order" and event.aggregate_version == 2


async def test_r26_the_answer_is_emailed_to_the_members_contact_in_their_language() -> None:
    uow = _uow()
    uow.contacts.put(_contact(language="en"))
    inquiry = await _ask(uow)
    await _answer(uow, inquiry, "It starts on 1 April.")
    [delivery] = uow.deliveries
    assert (delivery.template, delivery.recipient, delivery.language) == (
        "inquiry_answer",
        "asker@example.jp",
        "en",
    )
    assert delivery.payload == {
        "name": "問合 花子",
        "inquiry_id": str(inquiry.id),
        "subject": "開通日",
        "answer": "It starts on 1 April.",
    }
    assert delivery.state == "pending" and delivery.next_attempt_at == NOW


async def test_r27_the_answer_email_belongs_to_the_published_event_so_it_is_sent_once() -> None:
    uow = _uow()
    uow.contacts.put(_contact())
    inquiry = await _ask(uow)
    await _answer(uow, inquiry, "回答")
    [envelope] = uow.envelopes
    [delivery] = uow.deliveries
    assert (delivery.event_id, delivery.event_type) == (envelope.id, InquiryAnswered.TYPE)


async def test_r26_an_answer_before_the_members_copy_arrived_is_recorded_without_address() -> None:
    uow = _uow()
    inquiry = await _ask(uow)
    await _answer(uow, inquiry, "回答")
    [delivery] = uow.deliveries
    assert delivery.recipient is None and delivery.language is None
    assert "name" not in delivery.payload and delivery.needs_recipient


async def test_r26_every_answer_is_emailed_and_shown() -> None:
    uow = _uow()
    uow.contacts.put(_contact())
    inquiry = await _ask(uow)
    await _answer(uow, inquiry, "一つ目")
    answered = await _answer(uow, inquiry, "二つ目")
    assert [a.body for a in answered.answers] == ["一つ目", "二つ目"]
    assert len(uow.events_of(InquiryAnswered)) == 2
    assert sorted(d.payload["answer"] for d in uow.deliveries) == ["一つ目", "二つ目"]


async def test_r29_an_answer_is_audited_with_the_answer_id() -> None:
    uow = _uow()
    inquiry = await _ask(uow)
    answered = await _answer(uow, inquiry, "回答")
    [entry] = uow.audited("inquiry.answered")
    assert (entry.actor, entry.target) == ("ops-1", str(inquiry.id))
    assert entry.details == {"answer_id": str(answered.answers[0].id)}


async def test_r26_a_closed_inquiry_takes_no_answer_and_nothing_is_sent() -> None:
    uow = _uow()
    inquiry = await _ask(uow)
    async with uow:
        await inquiries.close_inquiry(uow=uow, inquiry_id=inquiry.id, actor="ops-1")
    with pytest.raises(InquiryClosed):
        await _answer(uow, inquiry, "追記")
    assert uow.events == [] and len(uow.deliveries) == 0
    assert uow.rollbacks == 1


async def test_r26_closing_is_stamped_by_the_service_clock_audited_and_refused_twice() -> None:
    uow = _uow()
    inquiry = await _ask(uow)
    async with uow:
        closed = await inquiries.close_inquiry(uow=uow, inquiry_id=inquiry.id, actor="ops-1")
    assert (closed.status, closed.closed_at) == ("closed", NOW)
    assert [e.target for e in uow.audited("inquiry.closed")] == [str(inquiry.id)]
    with pytest.raises(InquiryClosed):
        async with uow:
            await inquiries.close_inquiry(uow=uow, inquiry_id=inquiry.id, actor="ops-1")


async def test_r15_a_member_never_reads_another_members_inquiry_but_ops_read_any() -> None:
    uow = _uow()
    inquiry = await _ask(uow, member_id=MEMBER)
    with pytest.raises(InquiryNotFound):
        await inquiries.get_inquiry(uow=uow, inquiry_id=inquiry.id, member_id=OTHER)
    mine = await inquiries.get_inquiry(uow=uow, inquiry_id=inquiry.id, member_id=MEMBER)
    anyone = await inquiries.get_inquiry(uow=uow, inquiry_id=inquiry.id, member_id=None)
    assert mine.id == anyone.id == inquiry.id


async def test_r26_answering_an_unknown_inquiry_is_not_found() -> None:
    uow = _uow()
    with pytest.raises(InquiryNotFound):
        async with uow:
            await inquiries.answer_inquiry(
                uow=uow, inquiry_id=uuid.uuid4(), body="回答", actor="ops-1"
            )
    assert uow.committed == 0


async def test_r26_my_page_lists_only_the_members_inquiries_newest_first_page_by_page() -> None:
    uow = _uow()
    asked = []
    for hours in range(3):
        uow.clock.pin(NOW + timedelta(hours=hours))
        asked.append(await _ask(uow, member_id=MEMBER))
    await _ask(uow, member_id=OTHER)
    first = await inquiries.list_inquiries(
        uow=uow, member_id=MEMBER, status=None, limit=2, cursor=None
    )
    assert [i.id for i in first.items] == [asked[2].id, asked[1].id]
    rest = await inquiries.list_inquiries(
        uow=uow, member_id=MEMBER, status=None, limit=2, cursor=first.next_cursor
    )
    assert [i.id for i in rest.items] == [asked[0].id] and rest.next_cursor is None


async def test_r26_ops_list_answered_inquiries_and_a_forged_cursor_is_refused() -> None:
    uow = _uow()
    open_one, answered_one = await _ask(uow), await _ask(uow)
    await _answer(uow, answered_one, "回答")
    page = await inquiries.list_inquiries(
        uow=uow, member_id=None, status="answered", limit=10, cursor=None
    )
    assert [i.id for i in page.items] == [answered_one.id] != [open_one.id]
    with pytest.raises(InvalidCursor):
        await inquiries.list_inquiries(
            uow=uow, member_id=None, status=None, limit=10, cursor="2025-04-01|x"
        )


async def _reply(
    uow: FakeNotificationUnitOfWork, inquiry: Inquiry, body: str, member_id: uuid.UUID = MEMBER
) -> Inquiry:
    async with uow:
        return await inquiries.reply_to_inquiry(
            uow=uow, inquiry_id=inquiry.id, member_id=member_id, body=body
        )


@pytest.mark.parametrize(
    "owner", [None, OTHER], ids=["an order never heard of", "another member's order"]
)
async def test_r19_an_inquiry_about_an_order_not_the_members_is_not_found(
    owner: uuid.UUID | None,
) -> None:
    uow, order_id = _uow(), uuid.uuid4()
    if owner is not None:
        uow.orders.owners[order_id] = owner
    with pytest.raises(InquiryOrderNotFound) as refused:
        await _ask(uow, order_id=order_id)
    assert refused.value.code == "inquiry.order_not_found"
    assert uow.inquiries.items == {} and uow.committed == 0


async def test_r26_the_member_replies_to_the_answer_and_ops_answer_again_in_one_thread() -> None:
    uow = _uow()
    uow.contacts.put(_contact())
    inquiry = await _ask(uow)
    await _answer(uow, inquiry, "4月1日です。")
    uow.clock.pin(NOW + timedelta(hours=1))
    replied = await _reply(uow, inquiry, "午前中ですか？")
    assert replied.status == "open" and replied.version == 3  # awaiting ops again
    uow.clock.pin(NOW + timedelta(hours=2))
    again = await _answer(uow, inquiry, "午前10時です。")
    assert again.status == "answered"
    assert [(m.author, m.body) for m in again.answers] == [
        ("ops", "4月1日です。"),
        ("member", "午前中ですか？"),
        ("ops", "午前10時です。"),
    ]
    assert [m.body for m in again.ops_answers] == ["4月1日です。", "午前10時です。"]
    reply = again.answers[1]
    assert (reply.answered_by, reply.answered_at) == (str(MEMBER), NOW + timedelta(hours=1))
    # Only ops's answers are emailed to the member; the reply sends nothing and publishes
    # nothing (ops read it in the console).
    assert sorted(d.payload["answer"] for d in uow.deliveries) == ["4月1日です。", "午前10時です。"]
    assert len(uow.events_of(InquiryAnswered)) == 2


async def test_r26_a_member_cannot_reply_to_another_members_inquiry_nor_a_closed_one() -> None:
    uow = _uow()
    inquiry = await _ask(uow)
    await _answer(uow, inquiry, "回答")
    with pytest.raises(InquiryNotFound):
        await _reply(uow, inquiry, "横から", member_id=OTHER)
    async with uow:
        await inquiries.close_inquiry(uow=uow, inquiry_id=inquiry.id, actor="ops-1")
    with pytest.raises(InquiryClosed):
        await _reply(uow, inquiry, "まだ質問が")
    stored = uow.inquiries.items[inquiry.id]
    assert [m.author for m in stored.answers] == ["ops"] and stored.status == "closed"
    with pytest.raises(InquiryNotFound):
        async with uow:
            await inquiries.reply_to_inquiry(
                uow=uow, inquiry_id=uuid.uuid4(), member_id=MEMBER, body="x"
            )


async def test_r30_ops_name_each_asker_by_organization_and_person_from_the_member_copy() -> None:
    uow = _uow()
    profile = MemberProfile(
        status="active",
        entity_type="corporation",
        name="問合 花子",
        organization_name="株式会社問合",
        postal_code="1000001",
        address="東京都千代田区千代田1-1",
        contact_email="asker@example.jp",
        language="ja",
    )
    verified = MemberVerified(member_id=MEMBER, aggregate_version=2, profile=profile)
    # A later event without the organization (a re-sent verification link) keeps it.
    resent = MemberRegistered(
        member_id=MEMBER,
        aggregate_version=3,
        contact_email="asker@example.jp",
        language="ja",
        name="問合 花子",
        sealed_verification_token=SEALED,
        token_expires_at=NOW + timedelta(hours=24),
    )
    async with uow:
        await event_handlers.on_member_changed(
            verified, uow=uow, envelope=Envelope.wrap(verified, producer="t", correlation_id="c")
        )
        await event_handlers.on_member_registered(
            resent, uow=uow, envelope=Envelope.wrap(resent, producer="t", correlation_id="c")
        )
        await uow.commit()
    mine = await _ask(uow)
    theirs = await _ask(uow, member_id=OTHER)
    async with uow:
        named = await inquiries.members_of(uow=uow, inquiries=[mine, theirs])
    assert (named[MEMBER].organization_name, named[MEMBER].name) == ("株式会社問合", "問合 花子")
    assert OTHER not in named  # no copy yet: the console shows the id until it arrives
