"""Inquiries (R26, R19): members ask and read their own; ops list, answer and close."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from notification.api.deps import UowDep
from notification.api.schemas import (
    AnswerCreate,
    InquiryCreate,
    InquiryList,
    InquiryOut,
    OpsInquiryList,
    OpsInquiryOut,
    ReplyCreate,
)
from notification.domain.inquiries import InquiryStatus
from notification.service_layer import inquiries
from servicekit.auth import CurrentMemberId, OpsOnly

member_router = APIRouter(prefix="/api/v1/inquiries", tags=["inquiries"])
ops_router = APIRouter(prefix="/api/v1/ops/notification/inquiries", tags=["ops: inquiries"])

Limit = Annotated[int, Query(ge=1, le=100)]


@member_router.post(
    "",
    response_model=InquiryOut,
    status_code=201,
    responses={404: {"description": "Not one of the member's orders (`inquiry.order_not_found`)."}},
)
async def submit(uow: UowDep, member_id: CurrentMemberId, body: InquiryCreate) -> InquiryOut:
    """Send an inquiry; ``order_id`` comes from the order-bound form (R19) and must be one
    of the member's own orders (404 ``inquiry.order_not_found`` otherwise)."""
    async with uow:
        inquiry = await inquiries.submit_inquiry(
            uow=uow,
            member_id=member_id,
            category=body.category,
            subject=body.subject,
            body=body.body,
            order_id=body.order_id,
        )
    return InquiryOut.of(inquiry)


@member_router.get("", response_model=InquiryList)
async def list_own(
    uow: UowDep, member_id: CurrentMemberId, limit: Limit = 20, cursor: str | None = None
) -> InquiryList:
    """The member's own inquiries with the answers (My Page, R26), newest first."""
    async with uow:
        page = await inquiries.list_inquiries(
            uow=uow, member_id=member_id, status=None, limit=limit, cursor=cursor
        )
    return InquiryList(items=[InquiryOut.of(i) for i in page.items], next_cursor=page.next_cursor)


@member_router.get("/{inquiry_id}", response_model=InquiryOut)
async def read_own(uow: UowDep, member_id: CurrentMemberId, inquiry_id: uuid.UUID) -> InquiryOut:
    """One of the member's inquiries; another member's is 404, never 403."""
    async with uow:
        inquiry = await inquiries.get_inquiry(uow=uow, inquiry_id=inquiry_id, member_id=member_id)
    return InquiryOut.of(inquiry)


@member_router.post(
    "/{inquiry_id}/replies",
    response_model=InquiryOut,
    status_code=201,
    responses={
        404: {"description": "Not one of the member's inquiries (`inquiry.not_found`)."},
        409: {"description": "The inquiry is closed (`inquiry.closed`)."},
    },
)
async def reply(
    uow: UowDep, member_id: CurrentMemberId, inquiry_id: uuid.UUID, body: ReplyCreate
) -> InquiryOut:
    """Reply in the thread of one's own inquiry (R26): it is open again for ops. Another
    member's inquiry is 404; a closed one 409 ``inquiry.closed``."""
    async with uow:
        inquiry = await inquiries.reply_to_inquiry(
            uow=uow, inquiry_id=inquiry_id, member_id=member_id, body=body.body
        )
    return InquiryOut.of(inquiry)


@ops_router.get("", response_model=OpsInquiryList)
async def list_all(
    uow: UowDep,
    ops: OpsOnly,
    status: InquiryStatus | None = None,
    member_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> OpsInquiryList:
    async with uow:
        page = await inquiries.list_inquiries(
            uow=uow, member_id=member_id, status=status, limit=limit, cursor=cursor
        )
        members = await inquiries.members_of(uow=uow, inquiries=page.items)
    return OpsInquiryList(
        items=[OpsInquiryOut.of(i, members) for i in page.items], next_cursor=page.next_cursor
    )


@ops_router.get("/{inquiry_id}", response_model=OpsInquiryOut)
async def read_any(uow: UowDep, ops: OpsOnly, inquiry_id: uuid.UUID) -> OpsInquiryOut:
    async with uow:
        inquiry = await inquiries.get_inquiry(uow=uow, inquiry_id=inquiry_id, member_id=None)
        members = await inquiries.members_of(uow=uow, inquiries=[inquiry])
    return OpsInquiryOut.of(inquiry, members)


@ops_router.post("/{inquiry_id}/answers", response_model=OpsInquiryOut, status_code=201)
async def answer(
    uow: UowDep, ops: OpsOnly, inquiry_id: uuid.UUID, body: AnswerCreate
) -> OpsInquiryOut:
    """Answer (R26): emailed to the member and shown in My Page; audited (R29)."""
    async with uow:
        inquiry = await inquiries.answer_inquiry(
            uow=uow, inquiry_id=inquiry_id, body=body.body, actor=ops.subject
        )
    async with uow:
        members = await inquiries.members_of(uow=uow, inquiries=[inquiry])
    return OpsInquiryOut.of(inquiry, members)


@ops_router.post("/{inquiry_id}/close", response_model=OpsInquiryOut)
async def close(uow: UowDep, ops: OpsOnly, inquiry_id: uuid.UUID) -> OpsInquiryOut:
    """Close an inquiry; audited (R29)."""
    async with uow:
        inquiry = await inquiries.close_inquiry(uow=uow, inquiry_id=inquiry_id, actor=ops.subject)
    async with uow:
        members = await inquiries.members_of(uow=uow, inquiries=[inquiry])
    return OpsInquiryOut.of(inquiry, members)
