"""Operators and their second factor (R29): the list, and resetting another operator's
lost authenticator (audited; the operator enrols a new one at the next login)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from identity.api.deps import UowDep
from identity.api.schemas import OperatorList, OperatorView
from identity.service_layer import operators
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/identity/operators", tags=["ops: operators"])


@router.get("")
async def list_operators(ops: OpsOnly, uow: UowDep) -> OperatorList:
    """Every operator, oldest first, with whether their second factor is enrolled."""
    found = await operators.list_operators(uow=uow)
    return OperatorList(items=[OperatorView.of(operator) for operator in found])


@router.post(
    "/{operator_id}/second-factor-reset",
    responses={
        403: {"description": "One's own second factor (`ops.own_second_factor`)."},
        404: {"description": "No such operator (`ops.operator_not_found`)."},
    },
)
async def reset_second_factor(operator_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> OperatorView:
    """Forget the operator's TOTP secret and end their sessions: their next login shows a
    new QR code to enrol (audited as `ops.second_factor_reset`)."""
    target = await operators.reset_second_factor(
        uow=uow, actor=uuid.UUID(ops.subject), operator_id=operator_id
    )
    return OperatorView.of(target)
