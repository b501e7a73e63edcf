"""What members and ops read: orders and contracts, paged newest first (R15, R31).

A member reads only their own: another member's order or contract is not found
(404, never 403).
"""

from __future__ import annotations

import uuid

from ordering.domain.contract import Contract
from ordering.domain.errors import ContractNotFound, OrderNotFound
from ordering.domain.order import Order
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.pagination import Page


async def orders_page(
    *,
    uow: OrderingUnitOfWork,
    limit: int,
    cursor: str | None,
    member_id: uuid.UUID | None = None,
    status: str | None = None,
) -> Page[Order]:
    """A page of orders of one member (history) and/or in one state (ops), newest first."""
    return await uow.orders.page(member_id=member_id, status=status, limit=limit, cursor=cursor)


async def order(
    *, uow: OrderingUnitOfWork, order_id: uuid.UUID, member_id: uuid.UUID | None = None
) -> Order:
    """One order; with ``member_id``, only if it is that member's."""
    found = await uow.orders.get(order_id)
    if found is None or (member_id is not None and found.member_id != member_id):
        raise OrderNotFound()
    return found


async def contracts_page(
    *, uow: OrderingUnitOfWork, member_id: uuid.UUID, limit: int, cursor: str | None
) -> Page[Contract]:
    """A page of the member's contracts, newest first."""
    return await uow.contracts.page(member_id=member_id, limit=limit, cursor=cursor)


async def member_contract(
    *,
    uow: OrderingUnitOfWork,
    contract_id: uuid.UUID,
    member_id: uuid.UUID,
    for_update: bool = False,
) -> Contract:
    """One of the member's contracts (locked for a change when ``for_update``)."""
    found = await uow.contracts.get(contract_id, for_update=for_update)
    if found is None or found.member_id != member_id:
        raise ContractNotFound()
    return found
