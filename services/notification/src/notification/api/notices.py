"""Site notices (R1): the public list, and ops create / edit / withdraw."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from notification.api.deps import BoardDep, ClockDep, UowDep
from notification.api.schemas import (
    NoticeCreate,
    NoticeList,
    NoticeOut,
    NoticeUpdate,
    OpsNoticeList,
    OpsNoticeOut,
)
from notification.domain.notices import NoticeDraft
from notification.service_layer import notices
from notification.service_layer.maintenance import publish_maintenance_soon
from servicekit.auth import OpsOnly

public_router = APIRouter(prefix="/api/v1/notices", tags=["notices"])
ops_router = APIRouter(prefix="/api/v1/ops/notification/notices", tags=["ops: notices"])


@public_router.get("", response_model=NoticeList)
async def list_public_notices(uow: UowDep, clock: ClockDep) -> NoticeList:
    """Current and upcoming notices, maintenance windows first (R1)."""
    now = clock()
    async with uow:
        shown = await notices.live_notices(uow=uow, now=now)
    return NoticeList(items=[NoticeOut.of(notice, now) for notice in shown])


@ops_router.get("", response_model=OpsNoticeList)
async def list_all_notices(uow: UowDep, clock: ClockDep, ops: OpsOnly) -> OpsNoticeList:
    """Every notice, scheduled and withdrawn ones included."""
    async with uow:
        every = await notices.all_notices(uow=uow)
    now = clock()
    return OpsNoticeList(items=[OpsNoticeOut.of(notice, now) for notice in every])


@ops_router.get("/{notice_id}", response_model=OpsNoticeOut)
async def read_notice(
    uow: UowDep, clock: ClockDep, ops: OpsOnly, notice_id: uuid.UUID
) -> OpsNoticeOut:
    async with uow:
        notice = await notices.read_notice(uow=uow, notice_id=notice_id)
    return OpsNoticeOut.of(notice, clock())


@ops_router.post("", response_model=OpsNoticeOut, status_code=201)
async def create_notice(
    uow: UowDep, clock: ClockDep, board: BoardDep, ops: OpsOnly, body: NoticeCreate
) -> OpsNoticeOut:
    """Post a notice; a maintenance window reaches the gateway at once."""
    draft = NoticeDraft(
        category=body.category,
        title_ja=body.title.ja,
        title_en=body.title.en,
        body_ja=body.body.ja,
        body_en=body.body.en,
        publish_at=body.publish_at or clock(),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        functions=tuple(body.functions),
    )
    async with uow:
        notice = await notices.create_notice(uow=uow, draft=draft, actor=ops.subject)
    await publish_maintenance_soon(uow=uow, board=board)
    return OpsNoticeOut.of(notice, clock())


def _changes(body: NoticeUpdate) -> dict[str, Any]:
    given = body.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name, value in given.items():
        if name in ("title", "body"):
            if value is None:
                continue
            changes[f"{name}_ja"], changes[f"{name}_en"] = value["ja"], value["en"]
        elif name == "functions":
            changes["functions"] = tuple(value or ())
        elif name in ("category", "publish_at") and value is None:
            continue
        else:
            changes[name] = value
    return changes


@ops_router.patch("/{notice_id}", response_model=OpsNoticeOut)
async def edit_notice(
    uow: UowDep,
    clock: ClockDep,
    board: BoardDep,
    ops: OpsOnly,
    notice_id: uuid.UUID,
    body: NoticeUpdate,
) -> OpsNoticeOut:
    """Edit a notice (only the fields given); the gateway's windows follow at once."""
    async with uow:
        notice = await notices.edit_notice(
            uow=uow, notice_id=notice_id, changes=_changes(body), actor=ops.subject
        )
    await publish_maintenance_soon(uow=uow, board=board)
    return OpsNoticeOut.of(notice, clock())


@ops_router.post("/{notice_id}/withdraw", response_model=OpsNoticeOut)
async def withdraw_notice(
    uow: UowDep, clock: ClockDep, board: BoardDep, ops: OpsOnly, notice_id: uuid.UUID
) -> OpsNoticeOut:
    """Withdraw a notice; its maintenance window (if any) ends at once."""
    async with uow:
        notice = await notices.withdraw_notice(uow=uow, notice_id=notice_id, actor=ops.subject)
    await publish_maintenance_soon(uow=uow, board=board)
    return OpsNoticeOut.of(notice, clock())
