"""Activation notices (R18) and the 30-day document rule (R12): the worker's scheduled jobs.

Both act on everything due when they run, so a replica that was down catches
up at its next tick; the scheduler lets one replica run each job at a time,
and the notice table's primary key makes a second notice for one order
impossible even if two ran.
"""

from __future__ import annotations

from datetime import timedelta

from ordering.domain.contract import Contract
from ordering.domain.order import Order
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.clock import japan_today
from servicekit.logging import get_logger

_log = get_logger(__name__)

#: The reason a member reads when no approved identity document arrived in time (R12).
DOCUMENT_TIMEOUT_REASON = (
    "ご注文から30日以内に本人確認書類の確認が完了しなかったため、お申し込みをお受けできませんでした。"
    " / No approved identity document arrived within 30 days of ordering."
)


async def issue_activation_notice(
    *, uow: OrderingUnitOfWork, order: Order, contract: Contract | None
) -> bool:
    """Have the order issue its activation notice unless it already did; True if now."""
    if not await uow.notices.claim(order.id):
        return False
    order.issue_activation_notice(contract_id=contract.id if contract is not None else None)
    return True


async def issue_due_activation_notices(*, uow: OrderingUnitOfWork) -> int:
    """Issue every notice due N business days before its planned start; returns how many."""
    today = japan_today(uow.now())
    issued = 0
    for order in await uow.orders.awaiting_activation_notice():
        due_on = order.notice_due_on()
        if due_on is None or due_on > today:
            continue
        contract = await uow.contracts.of_order(order.id)
        if await issue_activation_notice(uow=uow, order=order, contract=contract):
            issued += 1
    await uow.commit()
    if issued:
        _log.info("activation notices issued", count=issued)
    return issued


async def reject_orders_without_documents(*, uow: OrderingUnitOfWork, wait_days: int) -> int:
    """Reject orders still awaiting an identity document ``wait_days`` after ordering (R12)."""
    now = uow.now()
    expired = await uow.orders.awaiting_documents(placed_before=now - timedelta(days=wait_days))
    for order in expired:
        order.reject(reason=DOCUMENT_TIMEOUT_REASON, at=now)
        await uow.orders.save(order)
    await uow.commit()
    if expired:
        _log.info("orders rejected for missing documents", count=len(expired))
    return len(expired)
