"""Ops moving orders forward (R12, R17, R18, R29): each action audited, each change an event."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from jpcalendar import is_business_day
from ordering.adapters import repository
from ordering.domain.contract import Contract
from ordering.domain.order import InvalidTransition, Order
from ordering.service_layer import events
from ordering.service_layer.notices import issue_activation_notice
from servicekit.clock import Clock, japan_today
from servicekit.problems import Problem
from servicekit.uow import UnitOfWork


def order_not_found() -> Problem:
    """The 404 of an order that does not exist or is not the caller's (R15)."""
    return Problem(
        404, "order.not_found", ja="指定された注文は見つかりません。", en="No such order."
    )


def _business_day(d: date) -> bool:
    """Whether ``d`` is a business day; a date beyond the holiday calendar's years is not
    one that can be planned (the calendar raises ValueError for it)."""
    try:
        return is_business_day(d)
    except ValueError:
        return False


def _not_a_business_day(field: str) -> Problem:
    return Problem(
        422,
        "order.not_a_business_day",
        ja="営業日を指定してください。",
        en="The date must be a business day.",
        errors=[
            {
                "field": field,
                "code": "not_a_business_day",
                "ja": "営業日ではありません。",
                "en": "Not a business day.",
            }
        ],
    )


async def _progress(
    order_id: uuid.UUID,
    *,
    uow: UnitOfWork,
    actor: str,
    action: str,
    move: Callable[[Order, datetime], None],
    clock: Clock,
    **details: object,
) -> Order:
    order = await repository.get_order(session=uow.session, order_id=order_id, for_update=True)
    if order is None:
        raise order_not_found()
    try:
        move(order, clock())
    except InvalidTransition as exc:
        raise Problem(
            409,
            "order.invalid_transition",
            ja=f"現在の状態（{exc.status}）ではこの操作はできません。",
            en=f"The order is {exc.status}; it cannot be moved that way.",
            extra={"status": exc.status},
        ) from None
    await repository.save_order(session=uow.session, order=order)
    uow.audit(actor=actor, action=f"order.{action}", target=str(order_id), **details)
    return order


async def accept(order_id: uuid.UUID, *, uow: UnitOfWork, actor: str, clock: Clock) -> Order:
    """Ops accepted the order after review."""
    order = await _progress(
        order_id,
        uow=uow,
        actor=actor,
        action="accept",
        clock=clock,
        move=lambda o, at: o.accept(at=at),
    )
    uow.publish(events.order_accepted(order))
    await uow.commit()
    return order


async def start_provisioning(
    order_id: uuid.UUID, *, uow: UnitOfWork, actor: str, clock: Clock
) -> Order:
    """Ops started setting the service up."""
    order = await _progress(
        order_id,
        uow=uow,
        actor=actor,
        action="start_provisioning",
        clock=clock,
        move=lambda o, at: o.start_provisioning(at=at),
    )
    await uow.commit()
    return order


async def hold(
    order_id: uuid.UUID, *, reason: str, uow: UnitOfWork, actor: str, clock: Clock
) -> Order:
    """Ops wait for the customer to fix a defect; the member sees the reason (R17)."""
    order = await _progress(
        order_id,
        uow=uow,
        actor=actor,
        action="hold",
        clock=clock,
        reason=reason,
        move=lambda o, at: o.hold(reason=reason, at=at),
    )
    uow.publish(events.order_on_hold(order))
    await uow.commit()
    return order


async def release(
    order_id: uuid.UUID,
    *,
    planned_start_date: date | None,
    uow: UnitOfWork,
    actor: str,
    clock: Clock,
) -> Order:
    """The defect is fixed; the planned start may move later (R17)."""
    if planned_start_date is not None and not _business_day(planned_start_date):
        raise _not_a_business_day("planned_start_date")
    order = await _progress(
        order_id,
        uow=uow,
        actor=actor,
        action="release",
        clock=clock,
        planned_start_date=planned_start_date.isoformat() if planned_start_date else None,
        move=lambda o, at: o.release(at=at, planned_start_date=planned_start_date),
    )
    await uow.commit()
    return order


async def reject(
    order_id: uuid.UUID, *, reason: str, uow: UnitOfWork, actor: str, clock: Clock
) -> Order:
    """Ops rejected the order."""
    order = await _progress(
        order_id,
        uow=uow,
        actor=actor,
        action="reject",
        clock=clock,
        reason=reason,
        move=lambda o, at: o.reject(reason=reason, at=at),
    )
    uow.publish(events.order_rejected(order))
    await uow.commit()
    return order


#: How far back ops may date an activation they record late, and how far ahead
#: one they record when provisioning is done before the start. Billing bills
#: every month from the start date on, so a mistyped year must not reach it.
MAX_ACTIVATION_BACKDATE_DAYS = 92
MAX_ACTIVATION_AHEAD_DAYS = 31


def _start_date_out_of_range(today: date) -> Problem:
    earliest = today - timedelta(days=MAX_ACTIVATION_BACKDATE_DAYS)
    latest = today + timedelta(days=MAX_ACTIVATION_AHEAD_DAYS)
    return Problem(
        422,
        "order.start_date_out_of_range",
        ja=f"開通日は{earliest.isoformat()}から{latest.isoformat()}までの日付を指定してください。",
        en=f"The start date must be between {earliest.isoformat()} and {latest.isoformat()}.",
        errors=[{"field": "body.start_date", "code": "out_of_range"}],
    )


async def activate(
    order_id: uuid.UUID, *, start_date: date, uow: UnitOfWork, actor: str, clock: Clock
) -> tuple[Order, Contract]:
    """Ops activated the service on ``start_date``: the contract starts (billing bills it).

    The date is when the service starts: at most :data:`MAX_ACTIVATION_BACKDATE_DAYS`
    back and :data:`MAX_ACTIVATION_AHEAD_DAYS` ahead of today (Japan time).
    """
    today = japan_today(clock())
    earliest = today - timedelta(days=MAX_ACTIVATION_BACKDATE_DAYS)
    if not earliest <= start_date <= today + timedelta(days=MAX_ACTIVATION_AHEAD_DAYS):
        raise _start_date_out_of_range(today)
    order = await _progress(
        order_id,
        uow=uow,
        actor=actor,
        action="activate",
        clock=clock,
        start_date=start_date.isoformat(),
        move=lambda o, at: o.activate(at=at),
    )
    contract = Contract(
        id=uuid.uuid4(),
        order_id=order.id,
        member_id=order.member_id,
        service_id=order.service_id,
        service_name=order.service_name,
        plan_id=order.plan_id,
        plan_name=order.plan_name,
        quantity=order.quantity,
        planned_start_date=order.planned_start_date,
        start_date=start_date,
        terms=order.terms,
        withdrawal_requires_contracts_ended=order.withdrawal_requires_contracts_ended,
        created_at=clock(),
    )
    await repository.add_contract(session=uow.session, contract=contract)
    uow.publish(events.contract_activated(contract))
    if order.notice_business_days_before is None:
        await issue_activation_notice(order, contract, uow=uow)
    await uow.commit()
    return order, contract
