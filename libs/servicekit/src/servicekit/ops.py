"""Ops routes every service has: its dead-letter queue (list, inspect, replay, discard)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from servicekit.auth import OpsOnly
from servicekit.clock import system_clock
from servicekit.deadletters import (
    DeadLetter,
    DeadLetterPage,
    DeadLetterView,
    list_dead_letters,
    replay,
)
from servicekit.problems import Problem, refusing_invalid_cursors
from servicekit.runtime import Runtime


def _not_found() -> Problem:
    return Problem(
        404,
        "dead_letter.not_found",
        ja="指定されたデッドレターは見つかりません。",
        en="No such dead letter.",
    )


def _already_resolved(status: str) -> Problem:
    return Problem(
        409,
        "dead_letter.already_resolved",
        ja=f"このデッドレターは既に処理済みです（{status}）。",
        en=f"This dead letter was already resolved ({status}).",
    )


def dead_letter_router(service: str) -> APIRouter:
    """``/api/v1/ops/<service>/dead-letters`` for ops (role ``ops``), every action audited."""
    router = APIRouter(prefix=f"/api/v1/ops/{service}/dead-letters", tags=["ops: dead letters"])

    def runtime_of(request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtime
        return runtime

    @router.get("", response_model=DeadLetterPage)
    async def list_letters(
        request: Request,
        ops: OpsOnly,
        status: Literal["pending", "replayed", "discarded"] | None = "pending",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: str | None = None,
    ) -> DeadLetterPage:
        async with runtime_of(request).sessions() as session:
            with refusing_invalid_cursors():
                return await list_dead_letters(session, status=status, limit=limit, cursor=cursor)

    @router.get("/{letter_id}", response_model=DeadLetterView)
    async def inspect(request: Request, ops: OpsOnly, letter_id: uuid.UUID) -> DeadLetterView:
        async with runtime_of(request).sessions() as session:
            row = await session.get(DeadLetter, letter_id)
            if row is None:
                raise _not_found()
            return DeadLetterView.of(row, full=True)

    async def _resolve(
        request: Request, ops_subject: str, letter_id: uuid.UUID, action: str
    ) -> DeadLetterView:
        runtime = runtime_of(request)
        async with runtime.uow() as uow:
            row = await uow.session.get(DeadLetter, letter_id, with_for_update=True)
            if row is None:
                raise _not_found()
            if row.status != "pending":
                raise _already_resolved(row.status)
            if action == "replayed":
                await replay(row, bus=runtime.bus)
            row.status = action
            row.resolved_at = system_clock()
            row.resolved_by = ops_subject
            uow.audit(
                actor=ops_subject,
                action=f"dead_letter.{action}",
                target=str(letter_id),
                event_type=row.event_type,
            )
            await uow.commit()
            return DeadLetterView.of(row)

    @router.post("/{letter_id}/replay", response_model=DeadLetterView)
    async def replay_letter(request: Request, ops: OpsOnly, letter_id: uuid.UUID) -> DeadLetterView:
        return await _resolve(request, ops.subject, letter_id, "replayed")

    @router.post("/{letter_id}/discard", response_model=DeadLetterView)
    async def discard_letter(
        request: Request, ops: OpsOnly, letter_id: uuid.UUID
    ) -> DeadLetterView:
        return await _resolve(request, ops.subject, letter_id, "discarded")

    return router
