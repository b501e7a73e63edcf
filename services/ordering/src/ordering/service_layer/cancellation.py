"""Mid-term cancellation on the site (R20): the quote, then the confirmation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from ordering.domain.contract import Contract
from ordering.domain.errors import CancelByContactCenter
from ordering.domain.placement import ContactCenter
from ordering.service_layer.queries import member_contract
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.clock import japan_today


@dataclass(frozen=True)
class Quote:
    """What cancelling would cost, shown before the member confirms."""

    contract: Contract
    end_date: date
    early_termination_fee: int
    cancellable_on_site: bool


async def quote(
    *,
    uow: OrderingUnitOfWork,
    contract_id: uuid.UUID,
    member_id: uuid.UUID,
    end_date: date | None,
) -> Quote:
    """The end date and early termination fee under the contract's recorded terms (R20)."""
    contract = await member_contract(uow=uow, contract_id=contract_id, member_id=member_id)
    today = japan_today(uow.now())
    end = contract.end_date_or_default(end_date, today=today)
    contract.check_end_date(end, today=today)
    return Quote(
        contract=contract,
        end_date=end,
        early_termination_fee=contract.quote(end_date=end),
        cancellable_on_site=contract.terms.cancellable_on_site,
    )


async def cancel_contract(
    *,
    uow: OrderingUnitOfWork,
    contract_id: uuid.UUID,
    member_id: uuid.UUID,
    end_date: date | None,
    contact: ContactCenter,
) -> Contract:
    """Book the end of the contract; billing puts the fee on the final invoice (R20).

    A service not cancellable on the site sends the member to ``contact``.
    """
    contract = await member_contract(
        uow=uow, contract_id=contract_id, member_id=member_id, for_update=True
    )
    if not contract.terms.cancellable_on_site:
        raise CancelByContactCenter(contact)
    now = uow.now()
    today = japan_today(now)
    contract.cancel(
        end_date=contract.end_date_or_default(end_date, today=today), today=today, at=now
    )
    await uow.contracts.save(contract)
    await uow.commit()
    return contract
