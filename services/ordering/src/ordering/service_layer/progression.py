"""Ops moving orders forward (R12, R17, R18, R29): each action audited, each change an event.

The order records its events in its transition methods (:class:`Order`); a
handler loads it, moves it, saves it, audits the ops action and commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from jpcalendar import is_business_day
from ordering.domain.contract import Contract
from ordering.domain.errors import NotABusinessDay, OrderNotFound, StartDateOutOfRange
from ordering.domain.order import Order
from ordering.service_layer.notices import issue_activation_notice
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.clock import japan_today

#: How far back ops may date an activation they record late, and how far ahead
#: one they record when provisioning is done before the start. Billing bills
#: every month from the start date on, so a mistyped year must not reach it.
MAX_ACTIVATION_BACKDATE_DAYS = 92
MAX_ACTIVATION_AHEAD_DAYS = 31


def _business_day(d: date) -> bool:
    """Whether ``d`` is a business day; a date beyond the holiday calendar's years is not
    one that can be planned (the calendar raises ValueError for it)."""
    try:
        return is_business_day(d)
    except ValueError:
        return False


async def _progress(
    *,
    uow: OrderingUnitOfWork,
    order_id: uuid.UUID,
    actor: str,
    action: str,
    move: Callable[[Order, datetime], None],
    **details: object,
) -> Order:
    order = await uow.orders.get(order_id, for_update=True)
    if order is None:
        raise OrderNotFound()
    move(order, uow.now())
    await uow.orders.save(order)
    uow.audit(
        actor=actor,
        action=f"order.{action}",
        target=str(order_id),
        member_id=order.member_id,
        **details,
    )
    return order


async def accept(*, uow: OrderingUnitOfWork, order_id: uuid.UUID, actor: str) -> Order:
    """Ops accepted the order after review."""
    order = await _progress(
        uow=uow,
        order_id=order_id,
        actor=actor,
        action="accept",
        move=lambda o, at: o.accept(at=at),
    )
    await uow.commit()
    return order


async def start_provisioning(*, uow: OrderingUnitOfWork, order_id: uuid.UUID, actor: str) -> Order:
    """Ops started setting the service up."""
    order = await _progress(
        uow=uow,
        order_id=order_id,
        actor=actor,
        action="start_provisioning",
        move=lambda o, at: o.start_provisioning(at=at),
    )
    await uow.commit()
    return order


async def hold(*, uow: OrderingUnitOfWork, order_id: uuid.UUID, reason: str, actor: str) -> Order:
    """Ops wait for the customer to fix a defect; the member sees the reason (R17)."""
    order = await _progress(
        uow=uow,
        order_id=order_id,
        actor=actor,
        action="hold",
        reason=reason,
        move=lambda o, at: o.hold(reason=reason, at=at),
    )
    await uow.commit()
    return order


async def release(
    *,
    uow: OrderingUnitOfWork,
    order_id: uuid.UUID,
    planned_start_date: date | None,
    actor: str,
) -> Order:
    """The defect is fixed; the planned start may move later (R17)."""
    if planned_start_date is not None and not _business_day(planned_start_date):
        raise NotABusinessDay("planned_start_date")
    order = await _progress(
        uow=uow,
        order_id=order_id,
        actor=actor,
        action="release",
        planned_start_date=planned_start_date.isoformat() if planned_start_date else None,
        move=lambda o, at: o.release(at=at, planned_start_date=planned_start_date),
    )
    await uow.commit()
    return order


async def reject(*, uow: OrderingUnitOfWork, order_id: uuid.UUID, reason: str, actor: str) -> Order:
    """Ops rejected the order."""
    order = await _progress(
        uow=uow,
        order_id=order_id,
        actor=actor,
        action="reject",
        reason=reason,
        move=lambda o, at: o.reject(reason=reason, at=at),
    )
    await uow.commit()
    return order


async def activate(
    *, uow: OrderingUnitOfWork, order_id: uuid.UUID, start_date: date, actor: str
) -> tuple[Order, Contract]:
    """Ops activated the service on ``start_date``: the contract starts (billing bills it).

    The date is when the service starts: at most :data:`MAX_ACTIVATION_BACKDATE_DAYS`
    back and :data:`MAX_ACTIVATION_AHEAD_DAYS` ahead of today (Japan time).
    """
    today = japan_today(uow.now())
    earliest = today - timedelta(days=MAX_ACTIVATION_BACKDATE_DAYS)
    latest = today + timedelta(days=MAX_ACTIVATION_AHEAD_DAYS)
    if not earliest <= start_date <= latest:
        raise StartDateOutOfRange(earliest, latest)
    order = await _progress(
        uow=uow,
        order_id=order_id,
        actor=actor,
        action="activate",
        start_date=start_date.isoformat(),
        move=lambda o, at: o.activate(at=at),
    )
    contract = Contract.open(order, start_date=start_date, at=uow.now())
    await uow.contracts.add(contract)
    if order.notice_business_days_before is None:
        await issue_activation_notice(uow=uow, order=order, contract=contract)
    await uow.commit()
    return order, contract
