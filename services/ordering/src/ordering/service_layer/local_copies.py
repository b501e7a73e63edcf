"""Keeping ordering's copies of catalog services and identity members (SPEC §1).

Each handler runs in the consumer's unit of work, together with the inbox
claim. Versions only move forward: an event older than the copy is ignored.
"""

from __future__ import annotations

from bizmall_events import (
    DocumentReviewed,
    Envelope,
    MemberProfileChanged,
    MemberVerified,
    ServicePublished,
    ServiceRetired,
    ServiceUpdated,
    WithdrawalDecided,
)
from ordering.adapters import repository
from servicekit.clock import Clock
from servicekit.consumer import Handler
from servicekit.logging import get_logger
from servicekit.uow import UnitOfWork

_log = get_logger(__name__)


async def on_service_changed(
    event: ServicePublished | ServiceUpdated | ServiceRetired,
    *,
    uow: UnitOfWork,
    envelope: Envelope,
) -> None:
    """Keep the new service version; it becomes current unless a newer one is held."""
    current = await repository.store_service_version(session=uow.session, snapshot=event.snapshot)
    if not current:
        _log.info(
            "older service version kept, not current",
            service_id=str(event.service_id),
            version=event.aggregate_version,
        )


async def on_member_changed(
    event: MemberVerified | MemberProfileChanged, *, uow: UnitOfWork, envelope: Envelope
) -> None:
    """Copy the member's entity type and account state."""
    await repository.store_member(
        session=uow.session,
        member_id=event.member_id,
        version=event.aggregate_version,
        entity_type=event.profile.entity_type,
        status=event.profile.status,
    )


async def on_withdrawal_decided(
    event: WithdrawalDecided, *, uow: UnitOfWork, envelope: Envelope
) -> None:
    """A withdrawn member orders nothing more; their orders and contracts stay (R11)."""
    if event.decision == "withdrawn":
        await repository.mark_withdrawn(session=uow.session, member_id=event.member_id)


def document_review_handler(clock: Clock) -> Handler:
    """The handler of identity's document reviews, reading time from ``clock``."""

    async def on_document_reviewed(
        event: DocumentReviewed, *, uow: UnitOfWork, envelope: Envelope
    ) -> None:
        """An approval releases the member's orders waiting for it (R12); after a
        rejection they keep waiting for a new document (the 30-day rule still runs)."""
        await repository.lock_member(session=uow.session, member_id=event.member_id)
        recorded = await repository.store_document_review(
            session=uow.session,
            document_id=event.document_id,
            member_id=event.member_id,
            version=event.aggregate_version,
            decision=event.decision,
            reviewed_at=event.reviewed_at,
        )
        if not recorded or event.decision != "approved":
            return
        waiting = await repository.orders_awaiting_documents(
            session=uow.session, member_id=event.member_id
        )
        now = clock()
        for order in waiting:
            order.release_documents(at=now)
            await repository.save_order(session=uow.session, order=order)
        _log.info("orders released after document approval", count=len(waiting))

    return on_document_reviewed
