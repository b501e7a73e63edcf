"""Site notices (R1): the public list, and ops create / edit / withdraw."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from notification.adapters.tables import Notice
from notification.api.deps import RuntimeDep
from notification.api.schemas import (
    NoticeCreate,
    NoticeList,
    NoticeOut,
    NoticeUpdate,
    OpsNoticeList,
    OpsNoticeOut,
)
from notification.domain.notices import NoticeRuleError
from notification.service_layer import notices
from notification.service_layer.maintenance import publish_maintenance_soon
from servicekit.auth import OpsOnly
from servicekit.clock import system_clock
from servicekit.problems import Problem

public_router = APIRouter(prefix="/api/v1/notices", tags=["notices"])
ops_router = APIRouter(prefix="/api/v1/ops/notification/notices", tags=["ops: notices"])


def _not_found() -> Problem:
    return Problem(404, "notice.not_found", ja="お知らせが見つかりません。", en="No such notice.")


def _withdrawn() -> Problem:
    return Problem(
        409,
        "notice.withdrawn",
        ja="取り下げ済みのお知らせは変更できません。",
        en="A withdrawn notice cannot be changed.",
    )


def _rule_problem(error: NoticeRuleError) -> Problem:
    return Problem(
        422,
        error.code,
        ja=error.ja,
        en=error.en,
        errors=[{"field": error.field, "code": error.code, "ja": error.ja, "en": error.en}],
    )


@public_router.get("", response_model=NoticeList)
async def list_public_notices(runtime: RuntimeDep) -> NoticeList:
    """Current and upcoming notices, maintenance windows first (R1)."""
    now = system_clock()
    async with runtime.sessions() as session:
        rows = await notices.live_notices(session, now)
    return NoticeList(items=[NoticeOut.of(row, now) for row in rows])


@ops_router.get("", response_model=OpsNoticeList)
async def list_all_notices(runtime: RuntimeDep, ops: OpsOnly) -> OpsNoticeList:
    """Every notice, scheduled and withdrawn ones included."""
    now = system_clock()
    async with runtime.sessions() as session:
        rows = await notices.all_notices(session)
    return OpsNoticeList(items=[OpsNoticeOut.of(row, now) for row in rows])


@ops_router.get("/{notice_id}", response_model=OpsNoticeOut)
async def read_notice(runtime: RuntimeDep, ops: OpsOnly, notice_id: uuid.UUID) -> OpsNoticeOut:
    async with runtime.sessions() as session:
        row = await session.get(Notice, notice_id)
    if row is None:
        raise _not_found()
    return OpsNoticeOut.of(row, system_clock())


@ops_router.post("", response_model=OpsNoticeOut, status_code=201)
async def create_notice(runtime: RuntimeDep, ops: OpsOnly, body: NoticeCreate) -> OpsNoticeOut:
    """Post a notice; a maintenance window reaches the gateway at once."""
    draft = notices.NoticeDraft(
        category=body.category,
        title_ja=body.title.ja,
        title_en=body.title.en,
        body_ja=body.body.ja,
        body_en=body.body.en,
        publish_at=body.publish_at,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        functions=tuple(body.functions),
    )
    try:
        async with runtime.uow() as uow:
            row = await notices.create_notice(uow, draft=draft, actor=ops.subject)
    except NoticeRuleError as error:
        raise _rule_problem(error) from None
    await publish_maintenance_soon(runtime)
    return OpsNoticeOut.of(row, system_clock())


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
    runtime: RuntimeDep, ops: OpsOnly, notice_id: uuid.UUID, body: NoticeUpdate
) -> OpsNoticeOut:
    """Edit a notice (only the fields given); the gateway's windows follow at once."""
    try:
        async with runtime.uow() as uow:
            row = await notices.edit_notice(
                uow, notice_id=notice_id, changes=_changes(body), actor=ops.subject
            )
    except notices.NoticeNotFound:
        raise _not_found() from None
    except notices.NoticeWithdrawn:
        raise _withdrawn() from None
    except NoticeRuleError as error:
        raise _rule_problem(error) from None
    await publish_maintenance_soon(runtime)
    return OpsNoticeOut.of(row, system_clock())


@ops_router.post("/{notice_id}/withdraw", response_model=OpsNoticeOut)
async def withdraw_notice(runtime: RuntimeDep, ops: OpsOnly, notice_id: uuid.UUID) -> OpsNoticeOut:
    """Withdraw a notice; its maintenance window (if any) ends at once."""
    try:
        async with runtime.uow() as uow:
            row = await notices.withdraw_notice(uow, notice_id=notice_id, actor=ops.subject)
    except notices.NoticeNotFound:
        raise _not_found() from None
    except notices.NoticeWithdrawn:
        raise _withdrawn() from None
    await publish_maintenance_soon(runtime)
    return OpsNoticeOut.of(row, system_clock())
