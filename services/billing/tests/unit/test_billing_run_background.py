"""Background billing runs, late charges and isolated failures on the fake unit of work
(R37, R39): a charge of a month already invoiced goes on a supplementary invoice, a
contract activated behind the run's cursor is billed before the month is marked
done, a failing group is reported without holding back the others or later months,
and a queued run records its progress."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from billing.domain.billing_month import UsageMonth
from billing.domain.errors import MonthNotEnded, RunNotFound
from billing.service_layer import billing_run, contracts
from bizmall_events import Envelope, InvoiceIssued

from ..events import contract_activated
from .conftest import SETTINGS, Desk

APRIL_15 = date(2026, 4, 15)
MAY_15 = date(2026, 5, 15)


async def queue_and_work(desk: Desk, month: str) -> uuid.UUID:
    """Ops start a run of ``month`` (queued), then the worker executes the queue."""
    async with desk.uow:
        queued = await billing_run.request_run(
            uow=desk.uow, usage=UsageMonth.parse(month), actor="ops-7"
        )
    assert queued.status == "queued"
    await billing_run.execute_queued_runs(uow_factory=desk.uow.factory(), settings=SETTINGS)
    return queued.id


async def test_r37_a_backdated_second_contract_is_billed_on_a_supplementary_invoice(
    desk: Desk,
) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 3, 1), initial_fee=0)
    await desk.run("2026-03", on=APRIL_15)
    (march,) = desk.invoices_of(member)
    # A second contract of the same service, activated later with a March start date.
    await desk.contract(member, start=date(2026, 3, 17), initial_fee=5000)
    result = await desk.run("2026-03", on=date(2026, 4, 20))
    assert result.invoices_issued == 1
    first, supplementary = desk.invoices_of(member)
    assert first.id == march.id and first.supplement_no == 0
    assert first.total == 3300  # untouched
    assert supplementary.supplement_no == 1
    assert (supplementary.member_id, supplementary.service_id) == (
        march.member_id,
        march.service_id,
    )
    assert supplementary.usage_month == date(2026, 3, 1)
    assert supplementary.invoice_number != march.invoice_number
    # 3000 × 15 days / 31 = 1451 (rounded down), and the contract's initial fee.
    assert [(x.kind, x.amount) for x in supplementary.lines] == [
        ("prorated_fee", 1451),
        ("initial_fee", 5000),
    ]
    # Billed once: a third run of March issues nothing more.
    assert (await desk.run("2026-03")).invoices_issued == 0
    assert len(desk.invoices_of(member)) == 2


async def test_r37_a_supplementary_invoice_is_announced_like_any_invoice(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 3, 1))
    await desk.run("2026-03", on=APRIL_15)
    await desk.contract(member, start=date(2026, 3, 1), initial_fee=0)
    await desk.run("2026-03")
    events = desk.uow.events_of(InvoiceIssued)
    assert len(events) == 2
    assert events[1].invoice_id == desk.invoices_of(member)[1].id


async def test_r37_r39_a_contract_activated_behind_the_cursor_during_a_run_is_billed(
    desk: Desk,
) -> None:
    members = sorted([await desk.member() for _ in range(5)])
    for member in members:
        await desk.contract(member, start=date(2026, 4, 1), initial_fee=0)
    desk.at(MAY_15)
    late: list[uuid.UUID] = []

    async def activation_during_the_run(after: tuple[uuid.UUID, uuid.UUID]) -> None:
        # Once the cursor passed the first member, ordering's event for a new contract
        # of theirs (another service) is committed.
        if late or after[0] <= members[0]:
            return
        event = contract_activated(members[0], start=date(2026, 4, 10), initial_fee=0)
        envelope = Envelope.wrap(event, producer="test", correlation_id="test")
        await contracts.on_contract_activated(event, uow=desk.uow, envelope=envelope)
        late.append(event.service_id)

    desk.uow.runs.before_batch = activation_during_the_run
    result = await desk.run("2026-04")
    assert late, "the activation did not happen during the run"
    assert SETTINGS.run_batch_size == 2
    assert result.invoices_issued == 6
    assert {i.service_id for i in desk.invoices_of(members[0])} >= {late[0]}
    assert result.month_done
    assert UsageMonth(2026, 4) in desk.uow.runs.done


async def test_r39_a_failing_group_is_reported_and_holds_back_neither_others_nor_later_months(
    desk: Desk,
) -> None:
    good = [await desk.member() for _ in range(3)]
    bad = await desk.member()
    for member in good:
        await desk.contract(member, start=date(2026, 3, 1), initial_fee=0)
    broken = await desk.contract(bad, start=date(2026, 3, 1), initial_fee=0)
    await desk.cancel(broken, end=date(2026, 3, 31), fee=0)
    # Its recorded data cannot be printed: pricing the group fails.
    desk.uow.subscriptions.items[broken.contract_id].service_name = {}
    desk.at(MAY_15)
    async with desk.uow:
        queued = await billing_run.queue_due_months(uow=desk.uow, today=MAY_15)
    assert queued == [UsageMonth(2026, 3), UsageMonth(2026, 4)]
    ran = await billing_run.execute_queued_runs(uow_factory=desk.uow.factory(), settings=SETTINGS)
    assert ran == 2
    for member in good:
        assert [i.usage_month.month for i in desk.invoices_of(member)] == [3, 4]
    assert desk.invoices_of(bad) == []
    march, april = sorted(desk.uow.runs.runs.values(), key=lambda r: r.usage_month)
    assert (march.status, march.invoices_issued) == ("done", 3)
    (failure,) = march.failed_groups
    assert failure.member_id == bad
    assert "ValidationError" in failure.reason
    assert (april.status, april.invoices_issued, april.failed_groups) == ("done", 3, ())
    # March stays open so the next run retries the group; April is done.
    assert set(desk.uow.runs.done) == {UsageMonth(2026, 4)}
    # Numbers stay gapless: the failed group took none.
    numbers = sorted(i.invoice_number for m in good for i in desk.invoices_of(m))
    assert numbers == [f"2026-{n:06d}" for n in range(1, 7)]
    # Once its data is right, the next scheduled run bills it.
    desk.uow.subscriptions.items[broken.contract_id].service_name = {"ja": "光回線", "en": "Fiber"}
    async with desk.uow:
        assert await billing_run.queue_due_months(uow=desk.uow, today=MAY_15) == [
            UsageMonth(2026, 3)
        ]
    await billing_run.execute_queued_runs(uow_factory=desk.uow.factory(), settings=SETTINGS)
    assert [i.usage_month.month for i in desk.invoices_of(bad)] == [3]
    assert UsageMonth(2026, 3) in desk.uow.runs.done


async def test_r39_a_run_is_queued_then_executed_with_its_progress(desk: Desk) -> None:
    members = [await desk.member() for _ in range(3)]
    for member in members:
        await desk.contract(member, start=date(2026, 4, 1))
    await desk.contract(members[0], start=date(2026, 4, 1), service="クラウドPBX")
    desk.at(MAY_15)
    run_id = await queue_and_work(desk, "2026-04")
    async with desk.uow:
        run = await billing_run.get_run(uow=desk.uow, run_id=run_id)
    assert run.status == "done"
    assert (run.contracts_total, run.contracts_done, run.invoices_issued) == (4, 4, 4)
    assert run.issue_date == MAY_15
    assert run.requested_by == "ops-7" and run.attempts == 1
    (requested,) = desk.uow.audited("billing.run.requested")
    assert requested.details == {"month": "2026-04"}
    (done,) = desk.uow.audited("billing.run")
    assert done.details == {"invoices_issued": 4}


async def test_r39_a_run_left_running_by_a_stopped_worker_is_resumed(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    desk.at(MAY_15)
    async with desk.uow:
        queued = await billing_run.request_run(
            uow=desk.uow, usage=UsageMonth(2026, 4), actor="ops-7"
        )
        # A worker claimed it and stopped before finishing.
        await desk.uow.runs.claim_run(desk.uow.now())
    assert (
        await billing_run.execute_queued_runs(uow_factory=desk.uow.factory(), settings=SETTINGS)
        == 1
    )
    run = desk.uow.runs.runs[queued.id]
    assert (run.status, run.attempts, run.invoices_issued) == ("done", 2, 1)


async def test_r39_a_run_of_a_month_not_ended_is_refused_before_it_is_queued(desk: Desk) -> None:
    desk.at(date(2026, 4, 30))
    async with desk.uow:
        with pytest.raises(MonthNotEnded):
            await billing_run.request_run(uow=desk.uow, usage=UsageMonth(2026, 4), actor="ops")
        with pytest.raises(RunNotFound) as missing:
            await billing_run.get_run(uow=desk.uow, run_id=uuid.uuid4())
    assert missing.value.code == "billing.run_not_found"
    assert desk.uow.runs.runs == {}
