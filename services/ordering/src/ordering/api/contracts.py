"""``/api/v1/contracts``: the member's contracts and their mid-term cancellation (R15, R20)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from ordering.adapters import repository
from ordering.api.deps import ClockDep, RuntimeDep, SettingsDep
from ordering.api.schemas import (
    CancelBody,
    CancellationQuoteView,
    ContactCenterView,
    ContractPage,
    ContractView,
)
from ordering.service_layer import cancellation
from ordering.service_layer.placing import member_id_of
from servicekit.auth import CurrentMember
from servicekit.clock import japan_today
from servicekit.problems import refusing_invalid_cursors

router = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])


@router.get("", response_model=ContractPage)
async def contracts(
    member: CurrentMember,
    runtime: RuntimeDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> ContractPage:
    """The caller's own contracts, newest first."""
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            found, next_cursor = await repository.list_contracts(
                session=session, member_id=member_id_of(member), limit=limit, cursor=cursor
            )
    today = japan_today(clock())
    return ContractPage(
        items=[ContractView.of(c, today=today) for c in found], next_cursor=next_cursor
    )


@router.get("/{contract_id}", response_model=ContractView)
async def contract(
    contract_id: uuid.UUID, member: CurrentMember, runtime: RuntimeDep, clock: ClockDep
) -> ContractView:
    """One of the caller's contracts; another member's is 404 (R15)."""
    async with runtime.sessions() as session:
        found = await repository.get_contract(session=session, contract_id=contract_id)
    if found is None or found.member_id != member_id_of(member):
        raise cancellation.contract_not_found()
    return ContractView.of(found, today=japan_today(clock()))


@router.get("/{contract_id}/cancellation-quote", response_model=CancellationQuoteView)
async def cancellation_quote(
    contract_id: uuid.UUID,
    member: CurrentMember,
    runtime: RuntimeDep,
    settings: SettingsDep,
    clock: ClockDep,
    end_date: Annotated[
        date | None, Query(description="Default: the end of the current month")
    ] = None,
) -> CancellationQuoteView:
    """The end date and early termination fee under the contract's recorded terms (R20)."""
    async with runtime.uow() as uow:
        quote = await cancellation.quote(
            contract_id, member_id=member_id_of(member), end_date=end_date, uow=uow, clock=clock
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
    member: CurrentMember,
    runtime: RuntimeDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: CancelBody | None = None,
) -> ContractView:
    """Cancel on the site where the service allows it; else 409 with the contact center (R20)."""
    async with runtime.uow() as uow:
        cancelled = await cancellation.cancel(
            contract_id,
            member_id=member_id_of(member),
            end_date=body.end_date if body else None,
            uow=uow,
            clock=clock,
            settings=settings,
        )
    return ContractView.of(cancelled, today=japan_today(clock()))
