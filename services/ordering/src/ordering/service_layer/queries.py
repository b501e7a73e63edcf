"""What members and ops read: orders and contracts, paged newest first (R15, R30–R32).

A member reads only their own: another member's order or contract is not found
(404, never 403). Ops read anyone's, each with the member's names from ordering's
copy (R30: organization and person, never a bare id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ordering.domain.contract import Contract, ContractStatus
from ordering.domain.entered_fields import EnteredField, label_entered_fields
from ordering.domain.errors import ContractNotFound, InvalidPeriod, OrderNotFound
from ordering.domain.member import Member
from ordering.domain.order import Order
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.clock import JAPAN, japan_today
from servicekit.pagination import Page

#: Order dates ops can search: bizmall took no order before, and a date past this is a typo.
FIRST_ORDER_DATE = date(2000, 1, 1)
LAST_ORDER_DATE = date(2999, 12, 31)


@dataclass(frozen=True)
class OpsOrder:
    """An order with its member's copy (None until identity's events arrive)."""

    order: Order
    member: Member | None


@dataclass(frozen=True)
class OpsOrderDetail(OpsOrder):
    """An order as ops review it (R31): also what the member entered, labelled."""

    entered_fields: list[EnteredField]


@dataclass(frozen=True)
class OpsContract:
    """A contract with its member's copy."""

    contract: Contract
    member: Member | None


async def orders_page(
    *, uow: OrderingUnitOfWork, member_id: uuid.UUID, limit: int, cursor: str | None
) -> Page[Order]:
    """A page of the member's orders (purchase history, R15), newest first."""
    return await uow.orders.page(member_id=member_id, limit=limit, cursor=cursor)


def _japan_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=JAPAN)


def _check_period(placed_from: date | None, placed_to: date | None) -> None:
    for field, day in (("placed_from", placed_from), ("placed_to", placed_to)):
        if day is not None and not FIRST_ORDER_DATE <= day <= LAST_ORDER_DATE:
            raise InvalidPeriod(
                field=field,
                ja=f"注文日は{FIRST_ORDER_DATE}から{LAST_ORDER_DATE}の範囲で指定してください。",
                en=f"Order dates run from {FIRST_ORDER_DATE} to {LAST_ORDER_DATE}.",
            )
    if placed_from is not None and placed_to is not None and placed_from > placed_to:
        raise InvalidPeriod(
            field="placed_to",
            ja="注文日の終わりは始まり以降の日付を指定してください。",
            en="placed_to must not be before placed_from.",
        )


async def ops_orders_page(
    *,
    uow: OrderingUnitOfWork,
    limit: int,
    cursor: str | None,
    member_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    status: str | None = None,
    placed_from: date | None = None,
    placed_to: date | None = None,
) -> Page[OpsOrder]:
    """A page of orders for ops (R31), newest first, each with its member: by member,
    service, state and order date (Japan dates, both ends included)."""
    _check_period(placed_from, placed_to)
    page = await uow.orders.page(
        member_id=member_id,
        service_id=service_id,
        status=status,
        placed_since=_japan_midnight(placed_from) if placed_from else None,
        placed_before=_japan_midnight(placed_to + timedelta(days=1)) if placed_to else None,
        limit=limit,
        cursor=cursor,
    )
    members = await uow.members.many(o.member_id for o in page.items)
    return Page(
        items=[OpsOrder(order=o, member=members.get(o.member_id)) for o in page.items],
        next_cursor=page.next_cursor,
    )


async def order(
    *, uow: OrderingUnitOfWork, order_id: uuid.UUID, member_id: uuid.UUID | None = None
) -> Order:
    """One order; with ``member_id``, only if it is that member's."""
    found = await uow.orders.get(order_id)
    if found is None or (member_id is not None and found.member_id != member_id):
        raise OrderNotFound()
    return found


async def ops_order(*, uow: OrderingUnitOfWork, order_id: uuid.UUID) -> OpsOrderDetail:
    """One order as ops review it (R31): its member, and the order fields as entered,
    labelled by the service version it was placed on."""
    found = await order(uow=uow, order_id=order_id)
    placed_on = await uow.catalog.version(found.service_id, found.service_version)
    return OpsOrderDetail(
        order=found,
        member=await uow.members.get(found.member_id),
        entered_fields=label_entered_fields(
            placed_on.order_fields if placed_on else None, found.options
        ),
    )


async def contracts_page(
    *, uow: OrderingUnitOfWork, member_id: uuid.UUID, limit: int, cursor: str | None
) -> Page[Contract]:
    """A page of the member's contracts, newest first."""
    return await uow.contracts.page(member_id=member_id, limit=limit, cursor=cursor)


async def ops_contracts_page(
    *,
    uow: OrderingUnitOfWork,
    limit: int,
    cursor: str | None,
    member_id: uuid.UUID | None = None,
    status: ContractStatus | None = None,
) -> Page[OpsContract]:
    """A page of contracts for ops (R32), newest first, each with its member: of one
    member and/or in one status as of today (Japan date)."""
    page = await uow.contracts.page(
        member_id=member_id,
        status=status,
        today=japan_today(uow.now()),
        limit=limit,
        cursor=cursor,
    )
    members = await uow.members.many(c.member_id for c in page.items)
    return Page(
        items=[OpsContract(contract=c, member=members.get(c.member_id)) for c in page.items],
        next_cursor=page.next_cursor,
    )


async def contract(
    *,
    uow: OrderingUnitOfWork,
    contract_id: uuid.UUID,
    member_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> Contract:
    """One contract; with ``member_id``, only if it is that member's (locked for a change
    when ``for_update``)."""
    found = await uow.contracts.get(contract_id, for_update=for_update)
    if found is None or (member_id is not None and found.member_id != member_id):
        raise ContractNotFound()
    return found


async def ops_contract(*, uow: OrderingUnitOfWork, contract_id: uuid.UUID) -> OpsContract:
    """One contract with its member, whoever holds it."""
    found = await contract(uow=uow, contract_id=contract_id)
    return OpsContract(contract=found, member=await uow.members.get(found.member_id))
