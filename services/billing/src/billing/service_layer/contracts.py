"""Subscriptions: each contract's price, terms and dates as ordering recorded them (R28),
from ``ordering.contract.activated`` and ``ordering.contract.cancelled``.

A month already marked as fully billed is unmarked when a contract touching it
arrives late, so the next scheduled run catches it up.
"""

from __future__ import annotations

from billing.domain.billing_month import UsageMonth
from billing.domain.subscription import Subscription
from billing.service_layer.unit_of_work import BillingUnitOfWork
from bizmall_events import ContractActivated, ContractCancelled, Envelope
from servicekit.consumer import RetryLater


async def on_contract_activated(
    event: ContractActivated, *, uow: BillingUnitOfWork, envelope: Envelope
) -> None:
    """Start billing the contract from its start date with its recorded terms."""
    terms = event.terms
    await uow.subscriptions.add_if_absent(
        Subscription(
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
    )
    await uow.runs.reopen_months_from(UsageMonth.of(event.start_date))


async def on_contract_cancelled(
    event: ContractCancelled, *, uow: BillingUnitOfWork, envelope: Envelope
) -> None:
    """Bill up to the end date and put the early termination fee on the final invoice."""
    copy = await uow.subscriptions.get(event.contract_id, for_update=True)
    if copy is None:
        # The activation is still on its way (events of two aggregates race).
        raise RetryLater("contract not activated here yet")
    if not copy.cancel(
        end_date=event.end_date,
        early_termination_fee=event.early_termination_fee,
        contract_version=event.aggregate_version,
    ):
        return
    await uow.subscriptions.save(copy)
    await uow.runs.reopen_months_from(UsageMonth.of(event.end_date))
