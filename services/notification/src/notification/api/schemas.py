"""Request and response models of the notification API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from bizmall_events import InquiryCategory
from notification.domain.contacts import MemberContact
from notification.domain.delivery import Delivery
from notification.domain.inquiries import Answer, Inquiry
from notification.domain.notices import Notice, NoticeCategory


class Title(BaseModel):
    ja: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class Body(BaseModel):
    ja: str = Field(min_length=1, max_length=10_000)
    en: str = Field(min_length=1, max_length=10_000)


class NoticeCreate(BaseModel):
    """A new notice; ``publish_at`` defaults to now (emergency maintenance goes up at once)."""

    category: NoticeCategory
    title: Title
    body: Body
    publish_at: AwareDatetime | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    functions: list[str] = Field(default_factory=list, max_length=10)


class NoticeUpdate(BaseModel):
    """An edit: only the fields given change."""

    category: NoticeCategory | None = None
    title: Title | None = None
    body: Body | None = None
    publish_at: AwareDatetime | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    functions: list[str] | None = Field(default=None, max_length=10)


class NoticeOut(BaseModel):
    id: uuid.UUID
    category: str
    title: Title
    body: Body
    publish_at: datetime
    starts_at: datetime | None
    ends_at: datetime | None
    functions: list[str]
    #: Maintenance: whether the window is running now.
    in_progress: bool

    @classmethod
    def of(cls, notice: Notice, now: datetime) -> NoticeOut:
        draft = notice.draft
        return cls(
            id=notice.id,
            category=draft.category,
            title=Title(ja=draft.title_ja, en=draft.title_en),
            body=Body(ja=draft.body_ja, en=draft.body_en),
            publish_at=draft.publish_at,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            functions=list(draft.functions),
            in_progress=notice.in_progress(now),
        )


class OpsNoticeOut(NoticeOut):
    withdrawn_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, notice: Notice, now: datetime) -> OpsNoticeOut:
        return cls(
            **NoticeOut.of(notice, now).model_dump(),
            withdrawn_at=notice.withdrawn_at,
            created_at=notice.created_at,
            updated_at=notice.updated_at,
        )


class NoticeList(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None = None


class OpsNoticeList(BaseModel):
    items: list[OpsNoticeOut]
    next_cursor: str | None = None


class InquiryCreate(BaseModel):
    category: InquiryCategory
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    #: Set by the order-bound form linked from the confirmation email (R19).
    order_id: uuid.UUID | None = None


class AnswerOut(BaseModel):
    id: uuid.UUID
    body: str
    answered_at: datetime

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        return cls(id=answer.id, body=answer.body, answered_at=answer.answered_at)


class OpsAnswerOut(AnswerOut):
    answered_by: str

    @classmethod
    def of(cls, answer: Answer) -> OpsAnswerOut:
        return cls(**AnswerOut.of(answer).model_dump(), answered_by=answer.answered_by)


class MessageOut(BaseModel):
    """One message of the thread after the question: an answer of ops or the member's reply
    (R26)."""

    id: uuid.UUID
    author: Literal["ops", "member"]
    body: str
    at: datetime

    @classmethod
    def of(cls, message: Answer) -> MessageOut:
        return cls(id=message.id, author=message.author, body=message.body, at=message.answered_at)


class OpsMessageOut(MessageOut):
    #: The operator's subject, or the member's id for a reply.
    by: str

    @classmethod
    def of(cls, message: Answer) -> OpsMessageOut:
        return cls(**MessageOut.of(message).model_dump(), by=message.answered_by)


class InquiryOut(BaseModel):
    id: uuid.UUID
    category: str
    subject: str
    body: str
    order_id: uuid.UUID | None
    #: ``open`` (awaiting ops: new, or the member replied), ``answered`` or ``closed``.
    status: str
    created_at: datetime
    closed_at: datetime | None
    #: The answers of ops only, oldest first.
    answers: list[AnswerOut]
    #: The whole thread after the question (answers and the member's replies), oldest first.
    messages: list[MessageOut]

    @classmethod
    def of(cls, inquiry: Inquiry) -> InquiryOut:
        return cls(
            id=inquiry.id,
            category=inquiry.category,
            subject=inquiry.subject,
            body=inquiry.body,
            order_id=inquiry.order_id,
            status=inquiry.status,
            created_at=inquiry.created_at,
            closed_at=inquiry.closed_at,
            answers=[AnswerOut.of(a) for a in inquiry.ops_answers],
            messages=[MessageOut.of(m) for m in inquiry.answers],
        )


class MemberNamesOut(BaseModel):
    """Who a member is in ops lists (R30): the organization and the person, from
    notification's copy of the member (null while the copy does not hold them yet)."""

    id: uuid.UUID
    organization_name: str | None
    name: str | None


class OpsInquiryOut(InquiryOut):
    member_id: uuid.UUID
    member: MemberNamesOut
    answers: list[OpsAnswerOut]  # type: ignore[assignment]
    messages: list[OpsMessageOut]  # type: ignore[assignment]

    @classmethod
    def of(
        cls, inquiry: Inquiry, members: Mapping[uuid.UUID, MemberContact] | None = None
    ) -> OpsInquiryOut:
        base = InquiryOut.of(inquiry).model_dump(exclude={"answers", "messages"})
        contact = (members or {}).get(inquiry.member_id)
        return cls(
            **base,
            member_id=inquiry.member_id,
            member=MemberNamesOut(
                id=inquiry.member_id,
                organization_name=contact.organization_name if contact else None,
                name=contact.name if contact else None,
            ),
            answers=[OpsAnswerOut.of(a) for a in inquiry.ops_answers],
            messages=[OpsMessageOut.of(m) for m in inquiry.answers],
        )


class InquiryList(BaseModel):
    items: list[InquiryOut]
    next_cursor: str | None


class OpsInquiryList(BaseModel):
    items: list[OpsInquiryOut]
    next_cursor: str | None


class AnswerCreate(BaseModel):
    body: str = Field(min_length=1, max_length=10_000)


class ReplyCreate(BaseModel):
    """The member's reply in the thread of their inquiry (R26)."""

    body: str = Field(min_length=1, max_length=10_000)


class DeliveryOut(BaseModel):
    """A delivery as ops see it: never its payload (it may hold a sealed token)."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    template: str
    member_id: uuid.UUID | None
    recipient: str | None
    language: str | None
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls.model_validate(delivery, from_attributes=True)


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None
