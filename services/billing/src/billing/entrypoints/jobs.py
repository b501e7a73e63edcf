"""The billing worker's scheduled jobs (one replica runs each at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from billing.config import Settings
from billing.service_layer import invoices
from billing.service_layer.billing_run import months_due, run_billing
from servicekit.clock import japan_today
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """The monthly billing run with catch-up (R23), and the payment checks (R24)."""
    settings = cast(Settings, runtime.settings)

    async def billing_runs() -> None:
        now = runtime.clock()
        today = japan_today(now)
        async with runtime.uow() as uow:
            due = await months_due(uow=uow, today=today)
        for usage in due:
            await run_billing(
                uow_factory=runtime.uow, settings=settings, usage=usage, now=now, today=today
            )

    async def payment_checks() -> None:
        now = runtime.clock()
        today = japan_today(now)
        async with runtime.uow() as uow:
            await invoices.settle_account_transfers(uow=uow, today=today, now=now)
        async with runtime.uow() as uow:
            await invoices.mark_overdue(uow=uow, today=today, now=now)

    interval = settings.job_interval_seconds
    return (
        PeriodicJob("billing.runs", interval, billing_runs),
        PeriodicJob("billing.payment_checks", interval, payment_checks),
    )
