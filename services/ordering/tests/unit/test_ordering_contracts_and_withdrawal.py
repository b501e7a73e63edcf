"""Cancellation with the early termination fee (R20), withdrawal blockers (R11) and what a
member reads (R15), with a fake unit of work."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from bizmall_events import ContractCancelled
from ordering.domain.contract import Contract
from ordering.domain.errors import (
    CancelByContactCenter,
    ContractNotCancellable,
    ContractNotFound,
    EndDateNotAllowed,
    OrderNotFound,
)
from ordering.domain.placement import ContactCenter
from ordering.service_layer import cancellation, queries
from ordering.service_layer.withdrawal import withdrawal_blockers
from servicekit.errors import Conflict, Invalid
from servicekit.pagination import InvalidCursor
from services.ordering.tests.unit.fakes import (
    NOW,
    START,
    FakeOrderingUnitOfWork,
    make_contract,
    make_order,
    terms,
)

CONTACT = ContactCenter(
    phone="0120-003300",
    hours_ja="9:00〜17:00、土曜・日曜・祝日・年末年始は休業",
    hours_en="9:00–17:00, closed on Saturdays, Sundays, national holidays and the year-end break",
)


def contract_of(uow: FakeOrderingUnitOfWork, **overrides: object) -> Contract:
    return uow.contracts.seed(make_contract(at=NOW, start_date=START, **overrides))


# --- R20: quote, then cancel ----------------------------------------------------------


async def test_r20_the_quote_ends_the_contract_at_the_end_of_this_month_by_default(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = contract_of(uow, quantity=2)
    quote = await cancellation.quote(
        uow=uow, contract_id=contract.id, member_id=contract.member_id, end_date=None
    )
    # Term 8 June 2026 – 7 June 2027; ending in June leaves July–June: 12 months.
    assert quote.end_date == date(2026, 6, 30)
    assert quote.early_termination_fee == 3000 * 2 * 12
    assert quote.cancellable_on_site
    assert uow.events == []


async def test_r20_cancelling_books_the_end_date_and_fee_and_publishes_contract_cancelled(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = contract_of(uow)
    done = await cancellation.cancel_contract(
        uow=uow,
        contract_id=contract.id,
        member_id=contract.member_id,
        end_date=date(2026, 12, 31),
        contact=CONTACT,
    )
    assert (done.end_date, done.early_termination_fee, done.version) == (
        date(2026, 12, 31),
        3000 * 6,
        2,
    )
    stored = await uow.contracts.get(contract.id)
    assert stored is not None and stored.status_on(NOW.date()) == "cancellation_scheduled"
    [event] = uow.events_of(ContractCancelled)
    assert (event.contract_id, event.end_date, event.early_termination_fee) == (
        contract.id,
        date(2026, 12, 31),
        18000,
    )


async def test_r20_a_fixed_fee_is_quoted_as_recorded_and_nothing_after_the_term(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = contract_of(uow, terms=terms(early_termination={"kind": "fixed", "amount": 10000}))
    within = await cancellation.quote(
        uow=uow, contract_id=contract.id, member_id=contract.member_id, end_date=date(2026, 9, 30)
    )
    after = await cancellation.quote(
        uow=uow, contract_id=contract.id, member_id=contract.member_id, end_date=date(2027, 6, 30)
    )
    assert (within.early_termination_fee, after.early_termination_fee) == (10000, 0)


async def test_r20_a_service_not_cancellable_on_the_site_points_to_the_contact_center(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = contract_of(uow, terms=terms(cancellable_on_site=False))
    quote = await cancellation.quote(
        uow=uow, contract_id=contract.id, member_id=contract.member_id, end_date=None
    )
    assert not quote.cancellable_on_site
    with pytest.raises(CancelByContactCenter) as refused:
        await cancellation.cancel_contract(
            uow=uow,
            contract_id=contract.id,
            member_id=contract.member_id,
            end_date=None,
            contact=CONTACT,
        )
    assert isinstance(refused.value, Conflict)
    assert refused.value.extra == {
        "contact_center": {
            "phone": "0120-003300",
            "hours_ja": "9:00〜17:00、土曜・日曜・祝日・年末年始は休業",
            "hours_en": CONTACT.hours_en,
        }
    }
    assert "0120-003300" in refused.value.ja and "0120-003300" in refused.value.en
    assert uow.committed == 0


@pytest.mark.parametrize("end_date", [date(2026, 5, 31), date(2026, 6, 5)])
async def test_r20_an_end_date_in_the_past_or_before_the_start_is_invalid_input(
    uow: FakeOrderingUnitOfWork, end_date: date
) -> None:
    contract = contract_of(uow)
    with pytest.raises(EndDateNotAllowed) as refused:
        await cancellation.cancel_contract(
            uow=uow,
            contract_id=contract.id,
            member_id=contract.member_id,
            end_date=end_date,
            contact=CONTACT,
        )
    assert isinstance(refused.value, Invalid)
    assert refused.value.code == "contract.end_date_not_allowed"
    assert refused.value.extra == {"earliest": "2026-06-08"}
    assert uow.events == []


async def test_r20_a_contract_already_cancelled_cannot_be_cancelled_again(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = contract_of(uow)
    ids = {"uow": uow, "contract_id": contract.id, "member_id": contract.member_id}
    await cancellation.cancel_contract(**ids, end_date=None, contact=CONTACT)  # type: ignore[arg-type]
    with pytest.raises(ContractNotCancellable) as refused:
        await cancellation.quote(**ids, end_date=None)  # type: ignore[arg-type]
    assert (
        refused.value.en
        == "The contract cannot end on that date: the contract is already cancelled."
    )
    assert len(uow.events_of(ContractCancelled)) == 1


async def test_r15_another_members_contract_is_not_found(uow: FakeOrderingUnitOfWork) -> None:
    contract = contract_of(uow)
    with pytest.raises(ContractNotFound):
        await cancellation.cancel_contract(
            uow=uow,
            contract_id=contract.id,
            member_id=uuid.uuid4(),
            end_date=None,
            contact=CONTACT,
        )
    stored = await uow.contracts.get(contract.id)
    assert stored is not None and stored.end_date is None


# --- R11: what blocks a withdrawal ---------------------------------------------------------


async def test_r11_an_open_order_of_a_service_requiring_ended_contracts_blocks_withdrawal(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    blocking = uow.orders.seed(
        make_order(at=NOW, member_id=member_id, withdrawal_requires_contracts_ended=True)
    )
    uow.orders.seed(make_order(at=NOW, member_id=member_id))
    [item] = await withdrawal_blockers(uow=uow, member_id=member_id)
    assert (item.kind, item.id, item.service_id) == ("order", blocking.id, blocking.service_id)


async def test_r11_active_and_rejected_orders_do_not_block_withdrawal(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    for final in ("active", "rejected"):
        order = make_order(at=NOW, member_id=member_id, withdrawal_requires_contracts_ended=True)
        if final == "active":
            order.accept(at=NOW)
            order.activate(at=NOW)
        else:
            order.reject(reason="不備", at=NOW)
        uow.orders.seed(order)
    assert await withdrawal_blockers(uow=uow, member_id=member_id) == []


async def test_r11_a_contract_ending_in_the_future_blocks_one_that_ended_does_not(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    ending = make_contract(
        at=NOW, start_date=START, member_id=member_id, withdrawal_requires_contracts_ended=True
    )
    ending.cancel(end_date=date(2026, 6, 30), today=NOW.date(), at=NOW)
    ended = make_contract(
        at=NOW, start_date=START, member_id=member_id, withdrawal_requires_contracts_ended=True
    )
    ended.end_date = NOW.date() - timedelta(days=1)
    elsewhere = make_contract(at=NOW, start_date=START, member_id=member_id)
    for contract in (ending, ended, elsewhere):
        uow.contracts.seed(contract)
    [item] = await withdrawal_blockers(uow=uow, member_id=member_id)
    assert (item.kind, item.id, item.ends_on) == ("contract", ending.id, date(2026, 6, 30))


# --- R15: a member reads only their own ------------------------------------------------


async def test_r15_history_lists_only_the_members_own_orders_newest_first_page_by_page(
    uow: FakeOrderingUnitOfWork,
) -> None:
    me = uuid.uuid4()
    mine = [
        uow.orders.seed(make_order(at=NOW + timedelta(minutes=m), member_id=me)) for m in range(3)
    ]
    uow.orders.seed(make_order(at=NOW + timedelta(minutes=9)))
    first = await queries.orders_page(uow=uow, member_id=me, limit=2, cursor=None)
    assert [o.id for o in first.items] == [mine[2].id, mine[1].id]
    second = await queries.orders_page(uow=uow, member_id=me, limit=2, cursor=first.next_cursor)
    assert ([o.id for o in second.items], second.next_cursor) == ([mine[0].id], None)
    with pytest.raises(InvalidCursor):
        await queries.orders_page(uow=uow, member_id=me, limit=2, cursor="nonsense")


async def test_r15_another_members_order_is_not_found_never_forbidden(
    uow: FakeOrderingUnitOfWork,
) -> None:
    theirs = uow.orders.seed(make_order(at=NOW))
    with pytest.raises(OrderNotFound):
        await queries.order(uow=uow, order_id=theirs.id, member_id=uuid.uuid4())
    assert (await queries.order(uow=uow, order_id=theirs.id)).id == theirs.id
