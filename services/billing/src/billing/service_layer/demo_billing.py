"""The demo member's invoices and a payment (local mode and Compose, ``python -m billing seed``).

Ordering's seed gives the demo member contracts that started about three months ago
(``servicekit.demo``); once their ``contract.activated`` (and the ended one's
``contract.cancelled``) have arrived, this seed runs billing for every month they ran,
through the same queued runs ops start (R39), and records the payment of the oldest
invoice as ops would from a bank statement, so My Page shows issued and paid invoices.
Idempotent: runs bill only what is unbilled, and the payment is recorded once.
"""

from __future__ import annotations

from datetime import timedelta

from billing.config import Settings
from billing.domain.billing_month import UsageMonth
from billing.service_layer.billing_run import execute_queued_runs, request_run
from billing.service_layer.invoices import record_payment
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.demo import DEMO_MEMBER_ID, SEED_ACTOR, demo_member_wanted, wait_until
from servicekit.logging import get_logger
from servicekit.runtime import Runtime

_log = get_logger(__name__)

#: How long to wait for ordering's contract events (seconds).
CONTRACTS_TIMEOUT = 120.0
#: The demo member's contracts, one of them ended (ordering's ``DEMO_ORDERS``).
DEMO_CONTRACTS = 3


def _uow(runtime: Runtime) -> BillingUnitOfWork:
    uow = runtime.uow()
    assert isinstance(uow, BillingUnitOfWork)
    return uow


async def seed(runtime: Runtime) -> None:
    """The service definition's seed hook: bill the demo member's months, pay one invoice."""
    if not demo_member_wanted():
        return
    settings = runtime.settings
    assert isinstance(settings, Settings)

    async def contracts_arrived() -> bool:
        async with _uow(runtime) as uow:
            copies = await uow.subscriptions.of_member(DEMO_MEMBER_ID)
        return len(copies) >= DEMO_CONTRACTS and any(c.end_date for c in copies)

    if not await wait_until(contracts_arrived, timeout=CONTRACTS_TIMEOUT):
        _log.warning("demo invoices skipped: the demo member's contracts did not arrive")
        return
    async with _uow(runtime) as uow:
        copies = await uow.subscriptions.of_member(DEMO_MEMBER_ID)
    today = runtime.clock.today_in_japan()
    month = UsageMonth.of(min(c.start_date for c in copies))
    while month < UsageMonth.of(today):
        async with _uow(runtime) as uow:
            await request_run(uow=uow, usage=month, actor=SEED_ACTOR, today=today)
        month = month.next()
    await execute_queued_runs(uow_factory=lambda: _uow(runtime), settings=settings)
    await _pay_the_oldest(runtime)


async def _pay_the_oldest(runtime: Runtime) -> None:
    async with _uow(runtime) as uow:
        invoices = []
        cursor = None
        while True:
            page = await uow.invoices.page(limit=100, cursor=cursor, member_id=DEMO_MEMBER_ID)
            invoices += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
    if not invoices or any(i.paid_amount for i in invoices):
        return
    oldest = min(invoices, key=lambda i: (i.issue_date, i.invoice_number))
    async with _uow(runtime) as uow:
        await record_payment(
            uow=uow,
            invoice_id=oldest.id,
            amount=oldest.total,
            paid_on=min(oldest.due_date - timedelta(days=3), runtime.clock.today_in_japan()),
            actor=SEED_ACTOR,
        )
    _log.info("demo invoices loaded", invoices=len(invoices))
