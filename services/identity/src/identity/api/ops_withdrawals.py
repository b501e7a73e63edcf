"""The withdrawal desk (R33): requests with their member and blockers; confirm or
refuse with a reason (both audited, published and emailed to the member)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from identity.api.deps import OrderingDep, UowDep
from identity.api.schemas import DeskWithdrawalView, RefusalBody, WithdrawalList, WithdrawalView
from identity.service_layer import withdrawal_desk
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/identity/withdrawals", tags=["ops: withdrawals"])

_NOT_FOUND = {404: {"description": "No such withdrawal request (`withdrawal.not_found`)."}}


@router.get("")
async def list_withdrawals(
    ops: OpsOnly,
    uow: UowDep,
    ordering: OrderingDep,
    status: Literal["checking", "pending", "refused", "withdrawn"] = "pending",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> WithdrawalList:
    """Requests in a state (awaiting confirmation by default), oldest first, each with
    its member and, while open, what blocks it now (asked of ordering)."""
    page = await withdrawal_desk.requests(
        uow=uow, ordering=ordering, status=status, limit=limit, cursor=cursor
    )
    return WithdrawalList(
        items=[DeskWithdrawalView.of_item(i) for i in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/{withdrawal_id}/confirm",
    responses={
        **_NOT_FOUND,
        409: {
            "description": "Not awaiting confirmation (`withdrawal.not_pending`), or orders"
            " or contracts still block it (`withdrawal.blocked`, naming `blocking_items`)."
        },
        503: {"description": "Ordering cannot be asked now (`withdrawal.ordering_unavailable`)."},
    },
)
async def confirm_withdrawal(
    withdrawal_id: uuid.UUID, ops: OpsOnly, uow: UowDep, ordering: OrderingDep
) -> WithdrawalView:
    """Withdraw the member (ordering is asked once more first); audited."""
    request = await withdrawal_desk.confirm(
        uow=uow, ordering=ordering, withdrawal_id=withdrawal_id, actor=ops.subject
    )
    return WithdrawalView.of(request)


@router.post(
    "/{withdrawal_id}/refuse",
    responses={**_NOT_FOUND, 409: {"description": "Already decided (`withdrawal.not_pending`)."}},
)
async def refuse_withdrawal(
    withdrawal_id: uuid.UUID, body: RefusalBody, ops: OpsOnly, uow: UowDep
) -> WithdrawalView:
    """Refuse an open request with the reason the member reads in the email; audited."""
    request = await withdrawal_desk.refuse(
        uow=uow, withdrawal_id=withdrawal_id, reason=body.reason, actor=ops.subject
    )
    return WithdrawalView.of(request)
