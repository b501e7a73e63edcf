"""Inquiries (R26, R19): members ask, ops answer (emailed and shown in My Page) and close."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from bizmall_events import Envelope, InquiryAnswered
from notification.domain.contacts import MemberContact
from notification.domain.inquiries import Inquiry, InquiryNotFound
from notification.domain.orders import check_order_owner
from notification.service_layer.deliveries import record_delivery
from notification.service_layer.unit_of_work import NotificationUnitOfWork
from servicekit.pagination import Page


async def submit_inquiry(
    *,
    uow: NotificationUnitOfWork,
    member_id: uuid.UUID,
    category: str,
    subject: str,
    body: str,
    order_id: uuid.UUID | None,
) -> Inquiry:
    """Store a member's inquiry (open); an ``order_id`` must be one of the member's own
    orders (404 ``inquiry.order_not_found`` otherwise, R19)."""
    if order_id is not None:
        check_order_owner(member_id=member_id, owner=await uow.orders.owner_of(order_id))
    inquiry = Inquiry.submit(
        member_id=member_id,
        category=category,
        subject=subject,
        body=body,
        order_id=order_id,
        at=uow.now(),
    )
    uow.inquiries.add(inquiry)
    await uow.commit()
    return inquiry


async def list_inquiries(
    *,
    uow: NotificationUnitOfWork,
    member_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Inquiry]:
    """A page of inquiries with their answers, newest first (``member_id``: only theirs)."""
    return await uow.inquiries.page(member_id=member_id, status=status, limit=limit, cursor=cursor)


async def members_of(
    *, uow: NotificationUnitOfWork, inquiries: Iterable[Inquiry]
) -> dict[uuid.UUID, MemberContact]:
    """Notification's copies of the askers, by member id: ops lists name each inquiry's
    organization and person (R30). A member whose copy has not arrived is missing."""
    return await uow.contacts.of_members({i.member_id for i in inquiries})


async def get_inquiry(
    *, uow: NotificationUnitOfWork, inquiry_id: uuid.UUID, member_id: uuid.UUID | None
) -> Inquiry:
    """One inquiry with its answers; another member's is not found (404, never 403)."""
    inquiry = await uow.inquiries.get(inquiry_id)
    if inquiry is None or (member_id is not None and not inquiry.belongs_to(member_id)):
        raise InquiryNotFound
    return inquiry


async def _locked(uow: NotificationUnitOfWork, inquiry_id: uuid.UUID) -> Inquiry:
    inquiry = await uow.inquiries.get(inquiry_id, for_update=True)
    if inquiry is None:
        raise InquiryNotFound
    return inquiry


def _answered_envelope(uow: NotificationUnitOfWork, inquiry: Inquiry) -> Envelope:
    """The envelope the answer's event leaves in (the email is recorded for that event)."""
    return next(
        envelope
        for envelope in uow.collect_events()
        if envelope.type == InquiryAnswered.TYPE and envelope.data["inquiry_id"] == str(inquiry.id)
    )


async def answer_inquiry(
    *, uow: NotificationUnitOfWork, inquiry_id: uuid.UUID, body: str, actor: str
) -> Inquiry:
    """Ops answer (R26): stored, audited, published and emailed to the member — all in one
    transaction, so the email is recorded exactly when the answer is."""
    inquiry = await _locked(uow, inquiry_id)
    answer = inquiry.answer(body=body, actor=actor, at=uow.now())
    envelope = _answered_envelope(uow, inquiry)
    # Without the member's copy yet, the sender looks the address up when it sends.
    contact = await uow.contacts.get(inquiry.member_id)
    await record_delivery(
        uow=uow,
        event_id=envelope.id,
        event_type=envelope.type,
        template="inquiry_answer",
        member_id=inquiry.member_id,
        recipient=contact.email if contact else None,
        language=contact.language if contact else None,
        payload={
            **({"name": contact.name} if contact else {}),
            "inquiry_id": str(inquiry.id),
            "subject": inquiry.subject,
            "answer": body,
        },
    )
    uow.audit(
        actor=actor,
        action="inquiry.answered",
        target=str(inquiry.id),
        member_id=inquiry.member_id,
        answer_id=str(answer.id),
    )
    await uow.commit()
    return inquiry


async def reply_to_inquiry(
    *, uow: NotificationUnitOfWork, inquiry_id: uuid.UUID, member_id: uuid.UUID, body: str
) -> Inquiry:
    """The member replies in the thread of their own inquiry (R26); it is open again for
    ops. Another member's inquiry is not found (404); a closed one refuses (409)."""
    inquiry = await _locked(uow, inquiry_id)
    inquiry.reply(member_id=member_id, body=body, at=uow.now())
    await uow.commit()
    return inquiry


async def close_inquiry(
    *, uow: NotificationUnitOfWork, inquiry_id: uuid.UUID, actor: str
) -> Inquiry:
    """Ops close an inquiry; audited (R29)."""
    inquiry = await _locked(uow, inquiry_id)
    inquiry.close(at=uow.now())
    uow.audit(
        actor=actor, action="inquiry.closed", target=str(inquiry.id), member_id=inquiry.member_id
    )
    await uow.commit()
    return inquiry
