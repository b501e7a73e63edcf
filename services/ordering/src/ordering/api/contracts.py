"""``/api/v1/contracts``: the member's contracts and their mid-term cancellation (R15, R20)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from ordering.api.deps import ClockDep, SettingsDep, UowDep
from ordering.api.schemas import (
    CancelBody,
    CancellationQuoteView,
    ContactCenterView,
    ContractPage,
    ContractView,
)
from ordering.service_layer import cancellation, queries
from ordering.service_layer.placing import contact_center
from servicekit.auth import CurrentMemberId

router = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])


@router.get("", response_model=ContractPage)
async def contracts(
    member_id: CurrentMemberId,
    uow: UowDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> ContractPage:
    """The caller's own contracts, newest first."""
    async with uow:
        page = await queries.contracts_page(
            uow=uow, member_id=member_id, limit=limit, cursor=cursor
        )
    today = clock.today_in_japan()
    return ContractPage(
        items=[ContractView.of(c, today=today) for c in page.items], next_cursor=page.next_cursor
    )


@router.get("/{contract_id}", response_model=ContractView)
async def contract(
    contract_id: uuid.UUID, member_id: CurrentMemberId, uow: UowDep, clock: ClockDep
) -> ContractView:
    """One of the caller's contracts; another member's is 404 (R15)."""
    async with uow:
        found = await queries.contract(uow=uow, contract_id=contract_id, member_id=member_id)
    return ContractView.of(found, today=clock.today_in_japan())


@router.get("/{contract_id}/cancellation-quote", response_model=CancellationQuoteView)
async def cancellation_quote(
    contract_id: uuid.UUID,
    member_id: CurrentMemberId,
    uow: UowDep,
    settings: SettingsDep,
    end_date: Annotated[
        date | None, Query(description="Default: the end of the current month")
    ] = None,
) -> CancellationQuoteView:
    """The end date and early termination fee under the contract's recorded terms (R20)."""
    async with uow:
        quote = await cancellation.quote(
            uow=uow, contract_id=contract_id, member_id=member_id, end_date=end_date
        )
    return CancellationQuoteView(
        contract_id=quote.contract.id,
        end_date=quote.end_date,
        early_termination_fee=quote.early_termination_fee,
        cancellable_on_site=quote.cancellable_on_site,
        contact_center=None
        if quote.cancellable_on_site
        else ContactCenterView(
            phone=settings.contact_center_phone,
            hours_ja=settings.contact_center_hours_ja,
            hours_en=settings.contact_center_hours_en,
        ),
    )


@router.post("/{contract_id}/cancel", response_model=ContractView)
async def cancel(
    contract_id: uuid.UUID,
    member_id: CurrentMemberId,
    uow: UowDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: CancelBody | None = None,
) -> ContractView:
    """Cancel on the site where the service allows it; else 409 with the contact center (R20)."""
    async with uow:
        cancelled = await cancellation.cancel_contract(
            uow=uow,
            contract_id=contract_id,
            member_id=member_id,
            end_date=body.end_date if body else None,
            contact=contact_center(settings),
        )
    return ContractView.of(cancelled, today=clock.today_in_japan())
