"""Ops routes every service has: its dead-letter queue (list, inspect, replay, discard)
and its audit trail (R34: filtered, paged, downloadable as CSV)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime
from starlette.responses import Response, StreamingResponse

from servicekit.audit import CSV_COLUMNS, AuditFilter, AuditLogPage, audit_csv, audit_page
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


_CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of the trail (JSON), or with `Accept: text/csv` the whole "
        "filtered trail as CSV: UTF-8 with a BOM, a header row, columns "
        + ", ".join(f"`{column}`" for column in CSV_COLUMNS)
        + " (`details` is the summary as JSON; a cell starting like a spreadsheet "
        "formula is prefixed with `'`).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def _wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


def audit_log_router(service: str) -> APIRouter:
    """``GET /api/v1/ops/<service>/audit-log`` for ops (role ``ops``): the service's
    audit trail, newest first, filtered, paged by ``next_cursor``, or as CSV."""
    router = APIRouter(prefix=f"/api/v1/ops/{service}/audit-log", tags=["ops: audit log"])

    @router.get("", response_model=AuditLogPage, responses=_CSV_RESPONSE)
    async def read_audit_log(
        request: Request,
        ops: OpsOnly,
        member_id: Annotated[
            uuid.UUID | None, Query(description="Only actions concerning this member.")
        ] = None,
        actor_id: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                pattern=r"^[A-Za-z0-9._:@-]+$",
                description="Only actions by this actor (an operator's or member's "
                "subject, `system`, `cli`, `seed`).",
            ),
        ] = None,
        entity: Annotated[
            str | None,
            Query(
                pattern=r"^[a-z][a-z_]{0,49}$",
                description="Only actions on this kind of thing (`order`, `member`).",
            ),
        ] = None,
        since: Annotated[
            AwareDatetime | None,
            Query(description="From this moment (inclusive), with its offset."),
        ] = None,
        until: Annotated[
            AwareDatetime | None,
            Query(description="Before this moment (exclusive), with its offset."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200, description="Rows per page (JSON).")] = 50,
        cursor: Annotated[
            str | None, Query(description="`next_cursor` of the previous page (JSON).")
        ] = None,
    ) -> Response | AuditLogPage:
        """Who did what, when, to which entity: the rows newest first. With
        `Accept: text/csv` the whole filtered trail is streamed as CSV (`limit` and
        `cursor` do not apply)."""
        found = AuditFilter(
            member_id=member_id, actor_id=actor_id, entity=entity, since=since, until=until
        )
        runtime: Runtime = request.app.state.runtime
        if _wants_csv(request):
            return StreamingResponse(
                audit_csv(runtime.sessions, service=service, found=found),
                media_type=_CSV_MEDIA_TYPE,
                headers={"Content-Disposition": f'attachment; filename="audit-log-{service}.csv"'},
            )
        async with runtime.sessions() as session:
            page = await audit_page(
                session, service=service, found=found, limit=limit, cursor=cursor
            )
        return AuditLogPage(items=page.items, next_cursor=page.next_cursor)

    return router
