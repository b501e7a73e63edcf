"""The withdrawal desk (R33): ops see the requests with the member and what still
blocks them, and confirm or refuse with a reason. Either decision is audited and
published (``identity.withdrawal.decided``); notification emails the member.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from bizmall_events.identity import BlockingItem
from identity.adapters.ordering_client import OrderingClient, OrderingUnavailable
from identity.domain.directory import DirectoryEntry
from identity.domain.errors import OrderingUnreachable, WithdrawalNotFound
from identity.domain.withdrawal import OPEN_STATES, WithdrawalRequest
from identity.service_layer.members import member_by_id
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.pagination import Page


@dataclass(frozen=True)
class DeskItem:
    """A request on the desk, with its member and ordering's answer of now."""

    request: WithdrawalRequest
    member: DirectoryEntry | None
    #: What blocks an open request now; None for a decided request, or when ordering
    #: could not be asked (the console says so).
    current_blockers: tuple[BlockingItem, ...] | None


async def _blockers_now(
    ordering: OrderingClient, request: WithdrawalRequest
) -> tuple[BlockingItem, ...] | None:
    if request.status not in OPEN_STATES:
        return None
    try:
        return await ordering.withdrawal_blockers(request.member_id)
    except OrderingUnavailable:
        return None


async def requests(
    *,
    uow: IdentityUnitOfWork,
    ordering: OrderingClient,
    status: str,
    limit: int,
    cursor: str | None,
) -> Page[DeskItem]:
    """One page of the requests in ``status`` (oldest first), each with its member
    and, while open, what blocks it now."""
    async with uow:
        page = await uow.withdrawals.in_status(status, limit=limit, cursor=cursor)
        members = await uow.directory.entries({r.member_id for r in page.items})
    # Asked after the transaction, all at once: no connection waits on ordering.
    blockers = await asyncio.gather(*(_blockers_now(ordering, r) for r in page.items))
    items = [
        DeskItem(request=r, member=members.get(r.member_id), current_blockers=b)
        for r, b in zip(page.items, blockers, strict=True)
    ]
    return Page(items, page.next_cursor)


async def _request(uow: IdentityUnitOfWork, withdrawal_id: uuid.UUID) -> WithdrawalRequest:
    request = await uow.withdrawals.get(withdrawal_id, lock=True)
    if request is None:
        raise WithdrawalNotFound()
    return request


async def confirm(
    *,
    uow: IdentityUnitOfWork,
    ordering: OrderingClient,
    withdrawal_id: uuid.UUID,
    actor: str,
) -> WithdrawalRequest:
    """Ops confirm a request awaiting them: ordering is asked once more; with nothing
    blocking, the member is withdrawn (sessions revoked, login refused) and the
    decision published. ``WithdrawalBlocked`` (409) while something blocks it."""
    async with uow:
        request = await _request(uow, withdrawal_id)
        request.check_awaiting_confirmation()
        try:
            items = await ordering.withdrawal_blockers(request.member_id)
        except OrderingUnavailable:
            raise OrderingUnreachable() from None
        member = await member_by_id(uow, request.member_id, lock=True)
        request.confirm(member, items, actor=actor, now=uow.now())
        await uow.sessions.revoke(member_id=member.id, now=uow.now())
        uow.audit(
            actor=actor,
            action="withdrawal.withdrawn",
            target=f"withdrawal:{withdrawal_id}",
            member_id=str(member.id),
        )
        await uow.commit()
        return request


async def refuse(
    *, uow: IdentityUnitOfWork, withdrawal_id: uuid.UUID, reason: str, actor: str
) -> WithdrawalRequest:
    """Ops refuse an open request with the reason the member is emailed."""
    async with uow:
        request = await _request(uow, withdrawal_id)
        request.refuse(reason, actor=actor, now=uow.now())
        uow.audit(
            actor=actor,
            action="withdrawal.refused",
            target=f"withdrawal:{withdrawal_id}",
            member_id=str(request.member_id),
            reason=request.reason,
        )
        await uow.commit()
        return request
