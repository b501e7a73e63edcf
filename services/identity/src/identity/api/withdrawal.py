"""Withdrawal (R11): the member's request and state; ops confirmation."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request

from identity.service_layer import withdrawal
from identity.service_layer.context import IdentityContext
from servicekit.auth import CurrentMember, OpsOnly

member_router = APIRouter(prefix="/api/v1/me/withdrawal", tags=["withdrawal"])
ops_router = APIRouter(prefix="/api/v1/ops/identity/withdrawals", tags=["ops: withdrawals"])


def _ctx(request: Request) -> IdentityContext:
    return IdentityContext.of(request.app.state.runtime)


@member_router.post("", status_code=202)
async def request_withdrawal(principal: CurrentMember, request: Request) -> dict[str, Any]:
    """Ask to withdraw; refused at once (naming what blocks it) or awaiting ops.
    ``checking`` means ordering could not be asked yet; it is retried."""
    return await withdrawal.request_withdrawal(_ctx(request), member_id=principal.subject)


@member_router.get("", responses={404: {"description": "No withdrawal was requested."}})
async def withdrawal_state(principal: CurrentMember, request: Request) -> dict[str, Any]:
    """The latest withdrawal request and its state."""
    return await withdrawal.latest(_ctx(request), member_id=principal.subject)


@ops_router.get("")
async def list_withdrawals(
    ops: OpsOnly,
    request: Request,
    status: Literal["checking", "pending", "refused", "withdrawn"] = "pending",
) -> dict[str, Any]:
    """Withdrawal requests in a state (awaiting confirmation by default)."""
    items = await withdrawal.list_by_status(_ctx(request), status=status)
    return {"items": items, "next_cursor": None}


@ops_router.post("/{withdrawal_id}/confirm")
async def confirm_withdrawal(
    withdrawal_id: uuid.UUID, ops: OpsOnly, request: Request
) -> dict[str, Any]:
    """Confirm a pending request (ordering is asked once more first); audited."""
    return await withdrawal.confirm(_ctx(request), withdrawal_id=withdrawal_id, actor=ops.subject)
