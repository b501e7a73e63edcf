"""The billing run under concurrency and downtime (R22, R23, R25): two runs at once never
create a second invoice nor leave a gap in the numbers; the scheduled job catches up
every month it missed."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from billing.bootstrap import SERVICE
from billing.domain.billing_month import UsageMonth
from billing.service_layer.billing_run import run_billing
from servicekit.scheduler import run_once_if_leader


async def test_r22_r25_two_concurrent_runs_issue_each_invoice_once_without_gaps(
    small_batch_billing: Any,
) -> None:
    billing = small_batch_billing
    members = [await billing.verify_member() for _ in range(20)]
    for member_id in members:
        await billing.activate(member_id, start=date(2027, 1, 1))
    billing.pin(date(2027, 2, 15))

    async def one_run() -> int:
        result = await run_billing(
            uow_factory=billing.runtime.uow,
            settings=billing.settings,
            usage=UsageMonth(2027, 1),
            today=date(2027, 2, 15),
        )
        return int(result.invoices_issued)

    issued = await asyncio.gather(one_run(), one_run())
    assert sum(issued) == 20
    numbers = []
    for member_id in members:
        (item,) = await billing.invoices_of(member_id)
        numbers.append(item["invoice_number"])
    numbers.sort()
    assert numbers == [f"2027-{n:06d}" for n in range(1, 21)]
    events = await billing.outbox("billing.invoice.issued")
    assert len(events) == 20 and len({e["invoice_id"] for e in events}) == 20
    counter = await billing.scalar(
        "SELECT last_sequence FROM invoice_number_counter WHERE year = 2027"
    )
    assert counter == 20


async def test_r23_the_scheduled_run_catches_up_missed_months_once(
    small_batch_billing: Any,
) -> None:
    billing = small_batch_billing
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2027, 1, 1), initial_fee=0, monthly_fee=1000)
    # The worker was down from February until mid-May: January to April are due.
    billing.pin(date(2027, 5, 17))
    # The scheduled job queues a run of each month due (once: a month with a run queued
    # is not queued again); the queue job executes them (R39).
    (job,) = [j for j in SERVICE.jobs(billing.runtime) if j.name == "billing.runs"]
    assert await run_once_if_leader(billing.runtime.engine, job)
    assert await run_once_if_leader(billing.runtime.engine, job)
    queued = await billing.scalar("SELECT count(*) FROM billing_run WHERE status = 'queued'")
    assert queued == 4
    await billing.work_queue()

    items = (
        await billing.client.get("/api/v1/invoices", headers=billing.member(member_id))
    ).json()["items"]
    months = sorted(i["usage_period_start"] for i in items)
    assert months == ["2027-01-01", "2027-02-01", "2027-03-01", "2027-04-01"]
    issue_dates = {i["usage_period_start"]: i["issue_date"] for i in items}
    # Missed months are dated the day they are issued; April is on schedule (May 17,
    # the first business day on or after the 15th).
    assert issue_dates["2027-04-01"] == "2027-05-17"
    assert issue_dates["2027-01-01"] == "2027-05-17"
    done = await billing.scalar("SELECT count(*) FROM billing_run_month")
    assert done == 4
