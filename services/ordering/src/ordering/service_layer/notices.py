"""Activation notices (R18) and the 30-day document rule (R12): the worker's scheduled jobs.

Both act on everything due when they run, so a replica that was down catches
up at its next tick; the scheduler lets one replica run each job at a time,
and the notice table's primary key makes a second notice for one order
impossible even if two ran.
"""

from __future__ import annotations

from datetime import timedelta

from jpcalendar import subtract_business_days
from ordering.adapters import repository
from ordering.domain.contract import Contract
from ordering.domain.order import Order
from ordering.service_layer import events
from servicekit.clock import Clock, japan_today
from servicekit.logging import get_logger
from servicekit.uow import UnitOfWork

_log = get_logger(__name__)

#: The reason a member reads when no approved identity document arrived in time (R12).
DOCUMENT_TIMEOUT_REASON = (
    "ご注文から30日以内に本人確認書類の確認が完了しなかったため、お申し込みをお受けできませんでした。"
    " / No approved identity document arrived within 30 days of ordering."
)


async def issue_activation_notice(
    order: Order, contract: Contract | None, *, uow: UnitOfWork
) -> bool:
    """Publish the order's activation notice unless it was already issued; True if now."""
    if not await repository.claim_activation_notice(session=uow.session, order_id=order.id):
        return False
    uow.publish(events.activation_notice_due(order, contract))
    return True


async def issue_due_activation_notices(*, uow: UnitOfWork, clock: Clock) -> int:
    """Publish every notice due N business days before its planned start; returns how many."""
    today = japan_today(clock())
    issued = 0
    for order in await repository.orders_with_notice_candidates(session=uow.session):
        assert order.notice_business_days_before is not None
        due_on = subtract_business_days(order.planned_start_date, order.notice_business_days_before)
        if due_on > today:
            continue
        contract = await repository.contract_of_order(session=uow.session, order_id=order.id)
        if await issue_activation_notice(order, contract, uow=uow):
            issued += 1
    await uow.commit()
    if issued:
        _log.info("activation notices issued", count=issued)
    return issued


async def reject_orders_without_documents(*, uow: UnitOfWork, clock: Clock, wait_days: int) -> int:
    """Reject orders still awaiting an identity document ``wait_days`` after ordering (R12)."""
    now = clock()
    expired = await repository.orders_awaiting_documents(
        session=uow.session, placed_before=now - timedelta(days=wait_days)
    )
    for order in expired:
        order.reject(reason=DOCUMENT_TIMEOUT_REASON, at=now)
        await repository.save_order(session=uow.session, order=order)
        uow.publish(events.order_rejected(order))
    await uow.commit()
    if expired:
        _log.info("orders rejected for missing documents", count=len(expired))
    return len(expired)
