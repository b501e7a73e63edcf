"""Withdrawal (R11): checked at once with ordering, confirmed by ops, never blind.

A request ordering could not check stays ``checking`` and a periodic job asks
again; nothing is approved without ordering's answer.
"""

from __future__ import annotations

import uuid

from identity.adapters.ordering_client import OrderingClient, OrderingUnavailable
from identity.domain.errors import OrderingUnreachable, WithdrawalNotFound, WithdrawalNotPending
from identity.domain.withdrawal import CHECKING, WITHDRAWN, WithdrawalRequest
from identity.service_layer.members import member_by_id
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


async def list_by_status(*, uow: IdentityUnitOfWork, status: str) -> list[WithdrawalRequest]:
    """Withdrawal requests in ``status`` for ops, oldest first."""
    async with uow:
        return await uow.withdrawals.in_status(status)


async def confirm(
    *,
    uow: IdentityUnitOfWork,
    ordering: OrderingClient,
    withdrawal_id: uuid.UUID,
    actor: str,
) -> WithdrawalRequest:
    """Ops confirm a pending request: ordering is asked once more, then the member is
    withdrawn (sessions revoked, login refused) and the decision published."""
    async with uow:
        request = await uow.withdrawals.get(withdrawal_id, lock=True)
        if request is None:
            raise WithdrawalNotPending()
        request.check_awaiting_confirmation()
        try:
            items = await ordering.withdrawal_blockers(request.member_id)
        except OrderingUnavailable:
            raise OrderingUnreachable() from None
        member = await member_by_id(uow, request.member_id, lock=True)
        request.confirm(member, items, actor=actor, now=uow.now())
        if request.status == WITHDRAWN:
            await uow.sessions.revoke(member_id=member.id, now=uow.now())
        uow.audit(
            actor=actor,
            action=f"withdrawal.{request.status}",
            target=f"withdrawal:{withdrawal_id}",
        )
        await uow.commit()
        return request
