"""Inquiries (R26, R19): members ask and read their own; ops list, answer and close."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from notification.api.deps import RuntimeDep, member_uuid
from notification.api.schemas import (
    AnswerCreate,
    InquiryCreate,
    InquiryList,
    InquiryOut,
    OpsInquiryList,
    OpsInquiryOut,
)
from notification.domain.inquiries import InquiryClosed, InquiryStatus
from notification.service_layer import inquiries
from servicekit.auth import CurrentMember, OpsOnly
from servicekit.problems import Problem, refusing_invalid_cursors

member_router = APIRouter(prefix="/api/v1/inquiries", tags=["inquiries"])
ops_router = APIRouter(prefix="/api/v1/ops/notification/inquiries", tags=["ops: inquiries"])

Limit = Annotated[int, Query(ge=1, le=100)]


def _not_found() -> Problem:
    return Problem(
        404, "inquiry.not_found", ja="お問い合わせが見つかりません。", en="No such inquiry."
    )


def _closed() -> Problem:
    return Problem(
        409,
        "inquiry.closed",
        ja="このお問い合わせは終了しています。",
        en="This inquiry is closed.",
    )


@member_router.post("", response_model=InquiryOut, status_code=201)
async def submit(runtime: RuntimeDep, member: CurrentMember, body: InquiryCreate) -> InquiryOut:
    """Send an inquiry; ``order_id`` comes from the order-bound form (R19)."""
    async with runtime.uow() as uow:
        inquiry = await inquiries.submit_inquiry(
            uow,
            member_id=member_uuid(member.subject),
            category=body.category,
            subject=body.subject,
            body=body.body,
            order_id=body.order_id,
        )
    return InquiryOut.of(inquiry, [])


@member_router.get("", response_model=InquiryList)
async def list_own(
    runtime: RuntimeDep, member: CurrentMember, limit: Limit = 20, cursor: str | None = None
) -> InquiryList:
    """The member's own inquiries with the answers (My Page, R26), newest first."""
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            page = await inquiries.list_inquiries(
                session,
                member_id=member_uuid(member.subject),
                status=None,
                limit=limit,
                cursor=cursor,
            )
    return InquiryList(
        items=[InquiryOut.of(i.inquiry, i.answers) for i in page.items],
        next_cursor=page.next_cursor,
    )


@member_router.get("/{inquiry_id}", response_model=InquiryOut)
async def read_own(runtime: RuntimeDep, member: CurrentMember, inquiry_id: uuid.UUID) -> InquiryOut:
    """One of the member's inquiries; another member's is 404, never 403."""
    async with runtime.sessions() as session:
        try:
            found = await inquiries.get_inquiry(
                session, inquiry_id=inquiry_id, member_id=member_uuid(member.subject)
            )
        except inquiries.InquiryNotFound:
            raise _not_found() from None
    return InquiryOut.of(found.inquiry, found.answers)


@ops_router.get("", response_model=OpsInquiryList)
async def list_all(
    runtime: RuntimeDep,
    ops: OpsOnly,
    status: InquiryStatus | None = None,
    member_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> OpsInquiryList:
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            page = await inquiries.list_inquiries(
                session, member_id=member_id, status=status, limit=limit, cursor=cursor
            )
    return OpsInquiryList(
        items=[OpsInquiryOut.of(i.inquiry, i.answers) for i in page.items],
        next_cursor=page.next_cursor,
    )


@ops_router.get("/{inquiry_id}", response_model=OpsInquiryOut)
async def read_any(runtime: RuntimeDep, ops: OpsOnly, inquiry_id: uuid.UUID) -> OpsInquiryOut:
    async with runtime.sessions() as session:
        try:
            found = await inquiries.get_inquiry(session, inquiry_id=inquiry_id, member_id=None)
        except inquiries.InquiryNotFound:
            raise _not_found() from None
    return OpsInquiryOut.of(found.inquiry, found.answers)


@ops_router.post("/{inquiry_id}/answers", response_model=OpsInquiryOut, status_code=201)
async def answer(
    runtime: RuntimeDep, ops: OpsOnly, inquiry_id: uuid.UUID, body: AnswerCreate
) -> OpsInquiryOut:
    """Answer (R26): emailed to the member and shown in My Page; audited (R29)."""
    try:
        async with runtime.uow() as uow:
            found = await inquiries.answer_inquiry(
                uow, inquiry_id=inquiry_id, body=body.body, actor=ops.subject
            )
    except inquiries.InquiryNotFound:
        raise _not_found() from None
    except InquiryClosed:
        raise _closed() from None
    return OpsInquiryOut.of(found.inquiry, found.answers)


@ops_router.post("/{inquiry_id}/close", response_model=OpsInquiryOut)
async def close(runtime: RuntimeDep, ops: OpsOnly, inquiry_id: uuid.UUID) -> OpsInquiryOut:
    """Close an inquiry; audited (R29)."""
    try:
        async with runtime.uow() as uow:
            await inquiries.close_inquiry(uow, inquiry_id=inquiry_id, actor=ops.subject)
    except inquiries.InquiryNotFound:
        raise _not_found() from None
    except InquiryClosed:
        raise _closed() from None
    async with runtime.sessions() as session:
        found = await inquiries.get_inquiry(session, inquiry_id=inquiry_id, member_id=None)
    return OpsInquiryOut.of(found.inquiry, found.answers)
