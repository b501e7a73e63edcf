"""``/internal/...``: service-to-service questions (the gateway never routes them)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from ordering.api.deps import ClockDep, RuntimeDep
from ordering.api.schemas import WithdrawalBlockers
from ordering.service_layer.withdrawal import withdrawal_blockers

router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("/members/{member_id}/withdrawal-blockers", response_model=WithdrawalBlockers)
async def blockers(
    member_id: uuid.UUID, runtime: RuntimeDep, clock: ClockDep
) -> WithdrawalBlockers:
    """What blocks the member's withdrawal (R11): identity asks while the member waits."""
    async with runtime.uow() as uow:
        items = await withdrawal_blockers(member_id, uow=uow, clock=clock)
    return WithdrawalBlockers(items=items)
