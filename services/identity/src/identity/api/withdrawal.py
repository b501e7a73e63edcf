"""Withdrawal (R11): the member's request and state (ops decide at the desk,
``ops_withdrawals.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from identity.api.deps import OrderingDep, UowDep
from identity.api.schemas import WithdrawalView
from identity.service_layer import withdrawal
from servicekit.auth import CurrentMemberId

member_router = APIRouter(prefix="/api/v1/me/withdrawal", tags=["withdrawal"])


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
