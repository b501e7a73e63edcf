"""Mid-term cancellation on the site (R20): the quote, then the confirmation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from ordering.adapters import repository
from ordering.config import Settings
from ordering.domain.contract import Contract, ContractNotCancellable, default_end_date
from ordering.service_layer import events
from servicekit.clock import Clock, japan_today
from servicekit.problems import Problem
from servicekit.uow import UnitOfWork


@dataclass(frozen=True)
class Quote:
    """What cancelling would cost, shown before the member confirms."""

    contract: Contract
    end_date: date
    early_termination_fee: int
    cancellable_on_site: bool


def contract_not_found() -> Problem:
    """The 404 of a contract that does not exist or is not the caller's (R15)."""
    return Problem(
        404, "contract.not_found", ja="指定された契約は見つかりません。", en="No such contract."
    )


def _contact_center_only(settings: Settings) -> Problem:
    phone, hours_ja, hours_en = (
        settings.contact_center_phone,
        settings.contact_center_hours_ja,
        settings.contact_center_hours_en,
    )
    return Problem(
        409,
        "contract.cancel_by_contact_center",
        ja=f"このサービスの解約はサイトでは承っておりません。コンタクトセンター（{phone}、"
        f"{hours_ja}）へお問い合わせください。",
        en=f"This service cannot be cancelled on the site. Please call the contact center at "
        f"{phone} ({hours_en}).",
        extra={"contact_center": {"phone": phone, "hours_ja": hours_ja, "hours_en": hours_en}},
    )


def _bad_end_date(reason: str) -> Problem:
    return Problem(
        409,
        "contract.not_cancellable",
        ja="この契約はその日付では解約できません（既に解約済み、または過去・開始前の日付です）。",
        en=f"The contract cannot end on that date: {reason}.",
    )


async def _own_contract(
    contract_id: uuid.UUID, member_id: uuid.UUID, *, uow: UnitOfWork, lock: bool = False
) -> Contract:
    contract = await repository.get_contract(
        session=uow.session, contract_id=contract_id, for_update=lock
    )
    if contract is None or contract.member_id != member_id:
        raise contract_not_found()
    return contract


async def quote(
    contract_id: uuid.UUID,
    *,
    member_id: uuid.UUID,
    end_date: date | None,
    uow: UnitOfWork,
    clock: Clock,
) -> Quote:
    """The end date and early termination fee under the contract's recorded terms (R20)."""
    contract = await _own_contract(contract_id, member_id, uow=uow)
    today = japan_today(clock())
    end = end_date or max(default_end_date(today), contract.start_date)
    try:
        contract.check_end_date(end, today=today)
    except ContractNotCancellable as exc:
        raise _bad_end_date(str(exc)) from None
    return Quote(
        contract=contract,
        end_date=end,
        early_termination_fee=contract.quote(end_date=end),
        cancellable_on_site=contract.terms.cancellable_on_site,
    )


async def cancel(
    contract_id: uuid.UUID,
    *,
    member_id: uuid.UUID,
    end_date: date | None,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> Contract:
    """Book the end of the contract; billing puts the fee on the final invoice (R20)."""
    contract = await _own_contract(contract_id, member_id, uow=uow, lock=True)
    if not contract.terms.cancellable_on_site:
        raise _contact_center_only(settings)
    now = clock()
    today = japan_today(now)
    end = end_date or max(default_end_date(today), contract.start_date)
    try:
        contract.cancel(end_date=end, today=today, at=now)
    except ContractNotCancellable as exc:
        raise _bad_end_date(str(exc)) from None
    await repository.save_contract(session=uow.session, contract=contract)
    uow.publish(events.contract_cancelled(contract))
    await uow.commit()
    return contract
