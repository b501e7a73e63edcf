"""Withdrawal (R11): checked at once with ordering, confirmed by ops, never blind.

A request ordering could not check stays ``checking`` and a periodic job asks
again; nothing is approved without ordering's answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from bizmall_events.identity import BlockingItem, MemberProfileChanged, WithdrawalDecided
from identity.adapters.ordering_client import OrderingClient, OrderingUnavailable
from identity.adapters.tables import Member, WithdrawalRequest
from identity.service_layer.accounts import profile_of
from identity.service_layer.context import IdentityContext
from identity.service_layer.tokens import revoke_families
from servicekit.clock import system_clock
from servicekit.problems import Problem
from servicekit.uow import UnitOfWork

OPEN_STATES = ("checking", "pending")


def ordering_of(ctx: IdentityContext) -> OrderingClient:
    """The ordering client described by the settings."""
    return OrderingClient(
        ctx.settings.ordering_url, timeout_seconds=ctx.settings.http_timeout_seconds
    )


def view(request: WithdrawalRequest) -> dict[str, Any]:
    """A withdrawal request as the member and ops see it: ``status`` is SPEC §2's
    (``pending``, ``refused``, ``withdrawn``); ``stage`` tells a pending request still
    waiting for ordering's check (``checking_orders``) from one awaiting ops."""
    stages = {"checking": "checking_orders", "pending": "awaiting_confirmation"}
    return {
        "id": str(request.id),
        "member_id": str(request.member_id),
        "status": "pending" if request.status in OPEN_STATES else request.status,
        "stage": stages.get(request.status),
        "blocking_items": request.blocking_items,
        "reason": request.reason,
        "requested_at": request.requested_at,
        "decided_at": request.decided_at,
    }


def _refuse(uow: UnitOfWork, request: WithdrawalRequest, items: tuple[BlockingItem, ...]) -> None:
    request.status = "refused"
    request.blocking_items = [item.model_dump(mode="json") for item in items]
    request.decided_at = system_clock()
    request.version += 1
    uow.publish(
        WithdrawalDecided(
            withdrawal_id=request.id,
            member_id=request.member_id,
            decision="refused",
            blocking_items=items,
            aggregate_version=request.version,
        )
    )


async def _check(ctx: IdentityContext, uow: UnitOfWork, request: WithdrawalRequest) -> None:
    """Ask ordering; refuse at once when something blocks, else await ops."""
    try:
        items = await ordering_of(ctx).withdrawal_blockers(request.member_id)
    except OrderingUnavailable:
        return
    if items:
        _refuse(uow, request, items)
    else:
        request.status = "pending"


async def _open_request(uow: UnitOfWork, member_id: uuid.UUID) -> WithdrawalRequest | None:
    return (
        await uow.session.execute(
            sa.select(WithdrawalRequest).where(
                col(WithdrawalRequest.member_id) == member_id,
                col(WithdrawalRequest.status).in_(OPEN_STATES),
            )
        )
    ).scalar_one_or_none()


async def request_withdrawal(ctx: IdentityContext, *, member_id: str) -> dict[str, Any]:
    """Open (or return the open) withdrawal request of the member and check it."""
    member_uuid = uuid.UUID(member_id)
    async with ctx.runtime.uow() as uow:
        await uow.session.get(Member, member_uuid, with_for_update=True)
        request = await _open_request(uow, member_uuid)
        if request is None:
            request = WithdrawalRequest(member_id=member_uuid)
            uow.session.add(request)
            await uow.session.flush()
            await _check(ctx, uow, request)
        await uow.commit()
        return view(request)


async def latest(ctx: IdentityContext, *, member_id: str) -> dict[str, Any]:
    """The member's latest withdrawal request."""
    async with ctx.runtime.uow() as uow:
        request = (
            await uow.session.execute(
                sa.select(WithdrawalRequest)
                .where(col(WithdrawalRequest.member_id) == uuid.UUID(member_id))
                .order_by(col(WithdrawalRequest.requested_at).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if request is None:
            raise Problem(
                404,
                "withdrawal.not_found",
                ja="退会申請はありません。",
                en="There is no withdrawal request.",
            )
        return view(request)


async def recheck_waiting(ctx: IdentityContext) -> int:
    """Ask ordering again about requests it could not check; returns how many moved on."""
    async with ctx.runtime.uow() as uow:
        rows = await uow.session.execute(
            sa.select(WithdrawalRequest)
            .where(col(WithdrawalRequest.status) == "checking")
            .with_for_update(skip_locked=True)
            .limit(100)
        )
        moved = 0
        for request in rows.scalars():
            await _check(ctx, uow, request)
            moved += request.status != "checking"
        await uow.commit()
        return moved


async def list_by_status(ctx: IdentityContext, *, status: str) -> list[dict[str, Any]]:
    """Withdrawal requests in ``status`` for ops, oldest first."""
    async with ctx.runtime.uow() as uow:
        rows = await uow.session.execute(
            sa.select(WithdrawalRequest)
            .where(col(WithdrawalRequest.status) == status)
            .order_by(col(WithdrawalRequest.requested_at))
            .limit(200)
        )
        return [view(r) for r in rows.scalars()]


async def confirm(ctx: IdentityContext, *, withdrawal_id: uuid.UUID, actor: str) -> dict[str, Any]:
    """Ops confirm a pending request: ordering is asked once more, then the member is
    withdrawn (sessions revoked, login refused) and the decision published."""
    async with ctx.runtime.uow() as uow:
        request = await uow.session.get(WithdrawalRequest, withdrawal_id, with_for_update=True)
        if request is None or request.status != "pending":
            raise Problem(
                409,
                "withdrawal.not_pending",
                ja="確認待ちの退会申請ではありません。",
                en="This withdrawal request is not awaiting confirmation.",
            )
        try:
            items = await ordering_of(ctx).withdrawal_blockers(request.member_id)
        except OrderingUnavailable:
            raise Problem(
                503,
                "withdrawal.ordering_unavailable",
                ja="注文状況を確認できません。しばらくしてから再度お試しください。",
                en="The member's orders cannot be checked now. Please try again later.",
                headers={"Retry-After": "30"},
            ) from None
        if items:
            _refuse(uow, request, items)
        else:
            member = await uow.session.get(Member, request.member_id, with_for_update=True)
            assert member is not None
            member.status = "withdrawn"
            member.version += 1
            await revoke_families(uow.session, member_id=member.id)
            request.status = "withdrawn"
            request.decided_at = system_clock()
            request.decided_by = actor
            request.version += 1
            uow.publish(
                WithdrawalDecided(
                    withdrawal_id=request.id,
                    member_id=member.id,
                    decision="withdrawn",
                    aggregate_version=request.version,
                )
            )
            uow.publish(
                MemberProfileChanged(
                    member_id=member.id,
                    aggregate_version=member.version,
                    profile=profile_of(member),
                )
            )
        uow.audit(
            actor=actor,
            action=f"withdrawal.{request.status}",
            target=f"withdrawal:{withdrawal_id}",
        )
        await uow.commit()
        return view(request)
