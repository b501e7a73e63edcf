"""Inquiries (R26, R19): members ask, ops answer (emailed and shown in My Page) and close."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bizmall_events import InquiryAnswered
from notification.adapters.tables import Inquiry, InquiryAnswer, MemberContact
from notification.domain.inquiries import status_after_answer, status_after_close
from notification.service_layer.deliveries import record_delivery
from servicekit.clock import system_clock
from servicekit.uow import UnitOfWork


class InquiryNotFound(LookupError):
    """No such inquiry (or not the caller's: the same answer, R15's rule)."""


@dataclass(frozen=True)
class InquiryWithAnswers:
    inquiry: Inquiry
    answers: list[InquiryAnswer]


@dataclass(frozen=True)
class InquiryPage:
    items: list[InquiryWithAnswers]
    next_cursor: str | None


async def submit_inquiry(
    uow: UnitOfWork,
    *,
    member_id: uuid.UUID,
    category: str,
    subject: str,
    body: str,
    order_id: uuid.UUID | None,
) -> Inquiry:
    """Store a member's inquiry (open)."""
    inquiry = Inquiry(
        id=uuid.uuid4(),
        member_id=member_id,
        category=category,
        subject=subject,
        body=body,
        order_id=order_id,
        status="open",
        aggregate_version=1,
        created_at=system_clock(),
    )
    uow.session.add(inquiry)
    await uow.commit()
    return inquiry


async def _answers_of(
    session: AsyncSession, inquiry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[InquiryAnswer]]:
    grouped: dict[uuid.UUID, list[InquiryAnswer]] = {i: [] for i in inquiry_ids}
    if not inquiry_ids:
        return grouped
    rows = await session.execute(
        select(InquiryAnswer)
        .where(col(InquiryAnswer.inquiry_id).in_(inquiry_ids))
        .order_by(col(InquiryAnswer.answered_at))
    )
    for answer in rows.scalars():
        grouped[answer.inquiry_id].append(answer)
    return grouped


def _parse_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    at_text, _, id_text = cursor.partition("|")
    return datetime.fromisoformat(at_text), uuid.UUID(id_text)


async def list_inquiries(
    session: AsyncSession,
    *,
    member_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> InquiryPage:
    """A page of inquiries with their answers, newest first (``member_id``: only theirs).
    Raises ``ValueError`` for a malformed cursor."""
    query = select(Inquiry).order_by(col(Inquiry.created_at).desc(), col(Inquiry.id).desc())
    if member_id is not None:
        query = query.where(col(Inquiry.member_id) == member_id)
    if status is not None:
        query = query.where(col(Inquiry.status) == status)
    if cursor:
        at, last_id = _parse_cursor(cursor)
        query = query.where(
            sa.tuple_(col(Inquiry.created_at), col(Inquiry.id)) < sa.tuple_(at, last_id)
        )
    rows = list((await session.execute(query.limit(limit + 1))).scalars())
    more, rows = len(rows) > limit, rows[:limit]
    answers = await _answers_of(session, [row.id for row in rows])
    next_cursor = f"{rows[-1].created_at.isoformat()}|{rows[-1].id}" if more and rows else None
    return InquiryPage(
        items=[InquiryWithAnswers(row, answers[row.id]) for row in rows], next_cursor=next_cursor
    )


async def get_inquiry(
    session: AsyncSession, *, inquiry_id: uuid.UUID, member_id: uuid.UUID | None
) -> InquiryWithAnswers:
    """One inquiry with its answers; another member's is not found."""
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None or (member_id is not None and inquiry.member_id != member_id):
        raise InquiryNotFound
    answers = await _answers_of(session, [inquiry.id])
    return InquiryWithAnswers(inquiry, answers[inquiry.id])


async def answer_inquiry(
    uow: UnitOfWork, *, inquiry_id: uuid.UUID, body: str, actor: str
) -> InquiryWithAnswers:
    """Ops answer (R26): stored, audited, published and emailed to the member — all in one
    transaction, so the email is recorded exactly when the answer is."""
    session = uow.session
    inquiry = await session.get(Inquiry, inquiry_id, with_for_update=True)
    if inquiry is None:
        raise InquiryNotFound
    inquiry.status = status_after_answer(inquiry.status)
    inquiry.aggregate_version += 1
    answer = InquiryAnswer(
        id=uuid.uuid4(),
        inquiry_id=inquiry.id,
        body=body,
        answered_by=actor,
        answered_at=system_clock(),
    )
    session.add(answer)
    envelope = uow.publish(
        InquiryAnswered(
            inquiry_id=inquiry.id,
            member_id=inquiry.member_id,
            category=inquiry.category,
            order_id=inquiry.order_id,
            aggregate_version=inquiry.aggregate_version,
        )
    )
    # Without the member's copy yet, the sender looks the address up when it sends.
    contact = await session.get(MemberContact, inquiry.member_id)
    await record_delivery(
        session,
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
        actor=actor, action="inquiry.answered", target=str(inquiry.id), answer_id=str(answer.id)
    )
    await uow.commit()
    answers = await _answers_of(session, [inquiry.id])
    return InquiryWithAnswers(inquiry, answers[inquiry.id])


async def close_inquiry(uow: UnitOfWork, *, inquiry_id: uuid.UUID, actor: str) -> Inquiry:
    """Ops close an inquiry; audited."""
    inquiry = await uow.session.get(Inquiry, inquiry_id, with_for_update=True)
    if inquiry is None:
        raise InquiryNotFound
    inquiry.status = status_after_close(inquiry.status)
    inquiry.aggregate_version += 1
    inquiry.closed_at = system_clock()
    uow.audit(actor=actor, action="inquiry.closed", target=str(inquiry.id))
    await uow.commit()
    return inquiry
