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
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.logging import get_logger

_log = get_logger(__name__)


async def on_service_changed(
    event: ServicePublished | ServiceUpdated | ServiceRetired,
    *,
    uow: OrderingUnitOfWork,
    envelope: Envelope,
) -> None:
    """Keep the new service version; it becomes current unless a newer one is held."""
    if not await uow.catalog.store(event.snapshot):
        _log.info(
            "older service version kept, not current",
            service_id=str(event.service_id),
            version=event.aggregate_version,
        )


async def on_member_changed(
    event: MemberVerified | MemberProfileChanged, *, uow: OrderingUnitOfWork, envelope: Envelope
) -> None:
    """Copy the member's entity type, account state and the names ops lists show (R30)."""
    await uow.members.store(
        member_id=event.member_id,
        version=event.aggregate_version,
        entity_type=event.profile.entity_type,
        status=event.profile.status,
        name=event.profile.name,
        organization_name=event.profile.organization_name,
    )


async def on_withdrawal_decided(
    event: WithdrawalDecided, *, uow: OrderingUnitOfWork, envelope: Envelope
) -> None:
    """A withdrawn member orders nothing more; their orders and contracts stay (R11)."""
    if event.decision == "withdrawn":
        await uow.members.mark_withdrawn(event.member_id)


async def on_document_reviewed(
    event: DocumentReviewed, *, uow: OrderingUnitOfWork, envelope: Envelope
) -> None:
    """An approval releases the member's orders waiting for it (R12); after a rejection
    they keep waiting for a new document (the 30-day rule still runs)."""
    await uow.members.lock(event.member_id)
    recorded = await uow.members.store_document_review(
        document_id=event.document_id,
        member_id=event.member_id,
        version=event.aggregate_version,
        decision=event.decision,
        reviewed_at=event.reviewed_at,
    )
    if not recorded or event.decision != "approved":
        return
    waiting = await uow.orders.awaiting_documents(member_id=event.member_id)
    now = uow.now()
    for order in waiting:
        order.release_documents(at=now)
        await uow.orders.save(order)
    _log.info("orders released after document approval", count=len(waiting))
