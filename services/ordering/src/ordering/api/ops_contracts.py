"""``/api/v1/ops/ordering/contracts``: ops find contracts and end them for the contact
center (R32, R20's phone path), whatever the service."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from ordering.api.deps import ClockDep, UowDep
from ordering.api.schemas import (
    OpsCancelBody,
    OpsCancellationQuoteView,
    OpsContractPage,
    OpsContractView,
)
from ordering.domain.contract import ContractStatus
from ordering.service_layer import cancellation, queries
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/ordering/contracts", tags=["ops: contracts"])


@router.get("", response_model=OpsContractPage)
async def contracts(
    ops: OpsOnly,
    uow: UowDep,
    clock: ClockDep,
    member_id: uuid.UUID | None = None,
    status: ContractStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsContractPage:
    """Contracts of a member and/or in one status, newest first, each naming its member."""
    async with uow:
        page = await queries.ops_contracts_page(
            uow=uow, member_id=member_id, status=status, limit=limit, cursor=cursor
        )
    today = clock.today_in_japan()
    return OpsContractPage(
        items=[OpsContractView.of_ops(c, today=today) for c in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{contract_id}", response_model=OpsContractView)
async def contract(
    contract_id: uuid.UUID, ops: OpsOnly, uow: UowDep, clock: ClockDep
) -> OpsContractView:
    """One contract, whoever holds it."""
    async with uow:
        found = await queries.ops_contract(uow=uow, contract_id=contract_id)
    return OpsContractView.of_ops(found, today=clock.today_in_japan())


@router.get("/{contract_id}/cancellation-quote", response_model=OpsCancellationQuoteView)
async def cancellation_quote(
    contract_id: uuid.UUID,
    ops: OpsOnly,
    uow: UowDep,
    end_date: Annotated[
        date | None, Query(description="Default: the end of the current month")
    ] = None,
) -> OpsCancellationQuoteView:
    """The early termination fee of ending on ``end_date`` under R20's rule, for any
    service (also those not cancellable on the site)."""
    async with uow:
        quote = await cancellation.quote(uow=uow, contract_id=contract_id, end_date=end_date)
    return OpsCancellationQuoteView(
        contract_id=quote.contract.id,
        end_date=quote.end_date,
        early_termination_fee=quote.early_termination_fee,
        cancellable_on_site=quote.cancellable_on_site,
        minimum_term_last_day=quote.minimum_term_last_day,
    )


@router.post("/{contract_id}/cancel", response_model=OpsContractView)
async def cancel(
    contract_id: uuid.UUID, body: OpsCancelBody, ops: OpsOnly, uow: UowDep, clock: ClockDep
) -> OpsContractView:
    """End the contract on ``end_date`` for a cancellation the contact center took (R32):
    audited; billing puts the fee on the final invoice and the member gets an email."""
    async with uow:
        ended = await cancellation.cancel_by_ops(
            uow=uow,
            contract_id=contract_id,
            end_date=body.end_date,
            reason=body.reason,
            actor=ops.subject,
        )
    return OpsContractView.of_ops(ended, today=clock.today_in_japan())
