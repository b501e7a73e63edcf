"""Withdrawal (R11): the member's request, checked at once with ordering; ops
decide it at the desk (``withdrawal_desk.py``), never blind.

A request ordering could not check stays ``checking`` and a periodic job asks
again; nothing is approved without ordering's answer.
"""

from __future__ import annotations

import uuid

from identity.adapters.ordering_client import OrderingClient, OrderingUnavailable
from identity.domain.errors import WithdrawalNotFound
from identity.domain.withdrawal import CHECKING, WithdrawalRequest
from identity.service_layer.members import audit_own_action
from identity.service_layer.unit_of_work import IdentityUnitOfWork


async def _check(
    uow: IdentityUnitOfWork, ordering: OrderingClient, request: WithdrawalRequest
) -> None:
    """Ask ordering; refused at once when something blocks, else awaiting ops. Without
    an answer the request stays ``checking``."""
    try:
        items = await ordering.withdrawal_blockers(request.member_id)
    except OrderingUnavailable:
        return
    request.checked(items, now=uow.now())


async def request_withdrawal(
    *, uow: IdentityUnitOfWork, ordering: OrderingClient, member_id: uuid.UUID
) -> WithdrawalRequest:
    """Open (or return the open) withdrawal request of the member and check it."""
    async with uow:
        # Locking the member makes two requests of one member queue behind each other.
        await uow.members.get(member_id, lock=True)
        request = await uow.withdrawals.open_of(member_id)
        if request is None:
            request = uow.withdrawals.add(WithdrawalRequest.open(member_id, now=uow.now()))
            await _check(uow, ordering, request)
            audit_own_action(
                uow,
                member_id,
                "withdrawal.requested",
                target=f"withdrawal:{request.id}",
                status=request.status,
            )
        await uow.commit()
        return request


async def latest(*, uow: IdentityUnitOfWork, member_id: uuid.UUID) -> WithdrawalRequest:
    """The member's latest withdrawal request."""
    async with uow:
        request = await uow.withdrawals.latest_of(member_id)
        if request is None:
            raise WithdrawalNotFound()
        return request


async def recheck_waiting(*, uow: IdentityUnitOfWork, ordering: OrderingClient) -> int:
    """Ask ordering again about requests it could not check; returns how many moved on."""
    async with uow:
        moved = 0
        for request in await uow.withdrawals.still_checking():
            await _check(uow, ordering, request)
            moved += request.status != CHECKING
        await uow.commit()
        return moved
