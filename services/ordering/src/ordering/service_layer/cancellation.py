"""Mid-term cancellation (R20, R32): the quote, then the confirmation — by the member on
the site where the service allows it, or by ops for a cancellation the contact center
took, for any service. The fee is the contract's recorded rule either way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from ordering.domain.contract import Contract
from ordering.domain.errors import CancelByContactCenter
from ordering.domain.placement import ContactCenter
from ordering.domain.termination import minimum_term_last_day
from ordering.service_layer import queries
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.clock import japan_today


@dataclass(frozen=True)
class Quote:
    """What cancelling would cost, shown before the member (or ops) confirms."""

    contract: Contract
    end_date: date
    early_termination_fee: int
    cancellable_on_site: bool
    #: The minimum term's last day (None without one): ending on or after it costs nothing.
    minimum_term_last_day: date | None


async def quote(
    *,
    uow: OrderingUnitOfWork,
    contract_id: uuid.UUID,
    end_date: date | None,
    member_id: uuid.UUID | None = None,
) -> Quote:
    """The end date and early termination fee under the contract's recorded terms (R20);
    with ``member_id`` only for that member's contract, else for any (ops, R32)."""
    contract = await queries.contract(uow=uow, contract_id=contract_id, member_id=member_id)
    today = japan_today(uow.now())
    end = contract.end_date_or_default(end_date, today=today)
    contract.check_end_date(end, today=today)
    return Quote(
        contract=contract,
        end_date=end,
        early_termination_fee=contract.quote(end_date=end),
        cancellable_on_site=contract.terms.cancellable_on_site,
        minimum_term_last_day=minimum_term_last_day(
            contract.start_date, contract.terms.minimum_term_months
        ),
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
    contract = await queries.contract(
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


async def cancel_by_ops(
    *,
    uow: OrderingUnitOfWork,
    contract_id: uuid.UUID,
    end_date: date,
    reason: str,
    actor: str,
) -> queries.OpsContract:
    """Ops end a contract on ``end_date`` for a cancellation the contact center took (R32),
    whether or not the service is cancellable on the site; audited. The fee is R20's, and
    billing and notification act on the same ``ordering.contract.cancelled`` as for a
    member's own cancellation. Returns the contract with its member, as ops list it."""
    contract = await queries.contract(uow=uow, contract_id=contract_id, for_update=True)
    member = await uow.members.get(contract.member_id)
    now = uow.now()
    fee = contract.cancel(
        end_date=end_date, today=japan_today(now), at=now, by="ops", reason=reason
    )
    await uow.contracts.save(contract)
    uow.audit(
        actor=actor,
        action="contract.cancel",
        target=str(contract.id),
        member_id=str(contract.member_id),
        end_date=end_date.isoformat(),
        early_termination_fee=fee,
        reason=reason,
    )
    await uow.commit()
    return queries.OpsContract(contract=contract, member=member)
