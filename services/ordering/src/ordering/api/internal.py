"""``/internal/...``: service-to-service questions (the gateway never routes them)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from ordering.api.deps import UowDep
from ordering.api.schemas import WithdrawalBlockers
from ordering.service_layer.withdrawal import withdrawal_blockers

router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("/members/{member_id}/withdrawal-blockers", response_model=WithdrawalBlockers)
async def blockers(member_id: uuid.UUID, uow: UowDep) -> WithdrawalBlockers:
    """What blocks the member's withdrawal (R11): identity asks while the member waits."""
    async with uow:
        items = await withdrawal_blockers(uow=uow, member_id=member_id)
    return WithdrawalBlockers(items=items)
