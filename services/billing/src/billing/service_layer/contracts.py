"""Subscriptions: each contract's price, terms and dates as ordering recorded them (R28),
from ``ordering.contract.activated`` and ``ordering.contract.cancelled``.

A month already marked as fully billed is unmarked when a contract touching it
arrives late, so the next scheduled run catches it up.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import billing_run_month, subscription
from billing.domain.billing_month import UsageMonth
from bizmall_events import ContractActivated, ContractCancelled, Envelope
from servicekit.consumer import RetryLater
from servicekit.uow import UnitOfWork


async def on_contract_activated(
    event: ContractActivated, *, uow: UnitOfWork, envelope: Envelope
) -> None:
    """Start billing the contract from its start date with its recorded terms."""
    terms = event.terms
    statement = insert(subscription).values(
        contract_id=event.contract_id,
        member_id=event.member_id,
        service_id=event.service_id,
        service_name=event.service_name.model_dump(),
        plan_name=event.plan_name.model_dump(),
        quantity=event.quantity,
        monthly_fee=terms.monthly_fee,
        initial_fee=terms.initial_fee,
        free_first_month=terms.free_first_month,
        allows_account_transfer=terms.allows_account_transfer,
        start_date=event.start_date,
        end_date=None,
        early_termination_fee=0,
        contract_version=event.aggregate_version,
        created_at=envelope.occurred_at,
    )
    await uow.session.execute(statement.on_conflict_do_nothing())
    await _reopen_months_from(uow, event.start_date)


async def on_contract_cancelled(
    event: ContractCancelled, *, uow: UnitOfWork, envelope: Envelope
) -> None:
    """Bill up to the end date and put the early termination fee on the final invoice."""
    updated = await uow.session.execute(
        sa.update(subscription)
        .where(
            subscription.c.contract_id == event.contract_id,
            subscription.c.contract_version < event.aggregate_version,
        )
        .values(
            end_date=event.end_date,
            early_termination_fee=event.early_termination_fee,
            contract_version=event.aggregate_version,
        )
        .returning(subscription.c.contract_id)
    )
    if updated.first() is None:
        known = await uow.session.scalar(
            sa.select(subscription.c.contract_id).where(
                subscription.c.contract_id == event.contract_id
            )
        )
        if known is None:
            # The activation is still on its way (events of two aggregates race).
            raise RetryLater("contract not activated here yet")
        return
    await _reopen_months_from(uow, event.end_date)


async def _reopen_months_from(uow: UnitOfWork, day: date) -> None:
    await uow.session.execute(
        sa.delete(billing_run_month).where(
            billing_run_month.c.usage_month >= UsageMonth.of(day).first_day
        )
    )
