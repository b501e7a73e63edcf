"""Withdrawal (R11): the member's request and state; ops confirmation."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from identity.api.deps import OrderingDep, UowDep
from identity.api.schemas import WithdrawalList, WithdrawalView
from identity.service_layer import withdrawal
from servicekit.auth import CurrentMemberId, OpsOnly

member_router = APIRouter(prefix="/api/v1/me/withdrawal", tags=["withdrawal"])
ops_router = APIRouter(prefix="/api/v1/ops/identity/withdrawals", tags=["ops: withdrawals"])


@member_router.post("", status_code=202)
async def request_withdrawal(
    member_id: CurrentMemberId, uow: UowDep, ordering: OrderingDep
) -> WithdrawalView:
    """Ask to withdraw; refused at once (naming what blocks it) or awaiting ops.
    ``checking_orders`` means ordering could not be asked yet; it is retried."""
    request = await withdrawal.request_withdrawal(uow=uow, ordering=ordering, member_id=member_id)
    return WithdrawalView.of(request)


@member_router.get("", responses={404: {"description": "No withdrawal was requested."}})
async def withdrawal_state(member_id: CurrentMemberId, uow: UowDep) -> WithdrawalView:
    """The latest withdrawal request and its state."""
    return WithdrawalView.of(await withdrawal.latest(uow=uow, member_id=member_id))


@ops_router.get("")
async def list_withdrawals(
    ops: OpsOnly,
    uow: UowDep,
    status: Literal["checking", "pending", "refused", "withdrawn"] = "pending",
) -> WithdrawalList:
    """Withdrawal requests in a state (awaiting confirmation by default)."""
    items = await withdrawal.list_by_status(uow=uow, status=status)
    return WithdrawalList(items=[WithdrawalView.of(r) for r in items])


@ops_router.post("/{withdrawal_id}/confirm")
async def confirm_withdrawal(
    withdrawal_id: uuid.UUID, ops: OpsOnly, uow: UowDep, ordering: OrderingDep
) -> WithdrawalView:
    """Confirm a pending request (ordering is asked once more first); audited."""
    request = await withdrawal.confirm(
        uow=uow, ordering=ordering, withdrawal_id=withdrawal_id, actor=ops.subject
    )
    return WithdrawalView.of(request)
