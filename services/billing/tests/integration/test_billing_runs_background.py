"""Background billing runs against PostgreSQL (R37, R39): ``POST /runs`` answers 202 and
the worker's queue executes the run, committing progress batch by batch; a
backdated second contract is billed on a supplementary invoice; a contract activated
behind the cursor during a run is billed; a group failing at the database is
isolated; money columns hold amounts past int4; void-and-correct nets payments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from billing.adapters.billing_run_repository import BillingRunRepository
from billing.bootstrap import SERVICE
from billing.domain.billing_month import UsageMonth
from servicekit.scheduler import run_once_if_leader

_NIL = uuid.UUID(int=0)


def during_the_run(
    monkeypatch: pytest.MonkeyPatch, act: Any, when: Any = lambda after: after != (_NIL, _NIL)
) -> list[Any]:
    """Call ``act(after)`` once, as the run reads the first batch whose cursor ``after``
    satisfies ``when`` (by default the second batch: the first one is committed by
    then); returns what it answered."""
    original = BillingRunRepository.unbilled_groups
    seen: list[Any] = []

    async def unbilled_groups(self: Any, usage: UsageMonth, *, after: Any, limit: int) -> Any:
        if not seen and when(after):
            seen.append(await act(after))
        return await original(self, usage, after=after, limit=limit)

    monkeypatch.setattr(BillingRunRepository, "unbilled_groups", unbilled_groups)
    return seen


async def test_r39_a_run_answers_202_and_its_progress_is_readable_while_it_runs(
    small_batch_billing: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = small_batch_billing
    for _ in range(7):
        await billing.activate(await billing.verify_member(), start=date(2028, 1, 1))
    billing.pin(date(2028, 2, 15))
    started = await billing.start_run("2028-01")
    assert started["status"] == "queued" and started["month"] == "2028-01"
    assert (started["contracts_done"], started["invoices_issued"]) == (0, 0)
    # Nothing runs inside the request: the run waits for the worker.
    assert (await billing.run_view(started["id"]))["status"] == "queued"
    listed = await billing.client.get("/api/v1/ops/billing/runs", headers=billing.ops_headers())
    assert started["id"] in [r["id"] for r in listed.json()["items"]]

    async def progress(after: Any) -> dict[str, Any]:
        return await billing.run_view(started["id"])

    seen = during_the_run(monkeypatch, progress)
    await billing.work_queue()
    (midway,) = seen
    assert midway["status"] == "running"
    assert (midway["contracts_total"], midway["contracts_done"]) == (7, 3)
    assert midway["invoices_issued"] == 3
    done = await billing.run_view(started["id"])
    assert done["status"] == "done"
    assert (done["contracts_total"], done["contracts_done"], done["invoices_issued"]) == (7, 7, 7)
    assert done["failed_groups"] == [] and done["finished_at"] is not None
    assert done["issue_date"] == "2028-02-15"


async def test_r39_an_unknown_run_is_404_and_members_cannot_read_runs(billing: Any) -> None:
    missing = await billing.client.get(
        f"/api/v1/ops/billing/runs/{uuid.uuid4()}", headers=billing.ops_headers()
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "billing.run_not_found")
    member = await billing.client.get(
        "/api/v1/ops/billing/runs", headers=billing.member(uuid.uuid4())
    )
    assert member.status_code == 403


async def test_r37_a_backdated_second_contract_goes_on_a_supplementary_invoice(
    billing: Any,
) -> None:
    member_id = await billing.verify_member()
    service_id = uuid.uuid4()
    await billing.activate(member_id, start=date(2028, 3, 1), service_id=service_id, initial_fee=0)
    billing.pin(date(2028, 4, 17))
    assert (await billing.run("2028-03"))["invoices_issued"] == 1
    (first,) = await billing.invoices_of(member_id)
    # A second contract of the same service starting in March arrives after March was billed.
    await billing.activate(member_id, start=date(2028, 3, 17), service_id=service_id)
    late = await billing.run("2028-03")
    assert (late["invoices_issued"], late["supplementary_issued"]) == (1, 1)
    items = {i["id"]: i for i in await billing.invoices_of(member_id)}
    assert len(items) == 2
    (supplementary,) = [i for i in items.values() if i["id"] != first["id"]]
    assert supplementary["supplement_no"] == 1
    assert supplementary["service_id"] == str(service_id)
    assert supplementary["usage_period_start"] == "2028-03-17"
    assert supplementary["invoice_number"] != first["invoice_number"]
    # 3000 × 15 / 31 = 1451, plus the 5000 initial fee, plus 10% tax.
    assert supplementary["total"] == 6451 + 645
    assert items[first["id"]]["total"] == first["total"]
    again = await billing.run("2028-03")
    assert again["invoices_issued"] == 0
    assert len(await billing.invoices_of(member_id)) == 2


async def test_r37_a_contract_activated_behind_the_cursor_during_a_run_is_billed(
    small_batch_billing: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = small_batch_billing
    members = sorted([await billing.verify_member() for _ in range(5)])
    for member_id in members:
        await billing.activate(member_id, start=date(2028, 5, 1), initial_fee=0)
    billing.pin(date(2028, 6, 15))

    async def activate_the_first_members_second_service(after: Any) -> Any:
        return await billing.activate(members[0], start=date(2028, 5, 20), initial_fee=0)

    # Committed once the run's cursor has passed the first member's groups.
    seen = during_the_run(
        monkeypatch,
        activate_the_first_members_second_service,
        when=lambda after: after[0] > members[0],
    )
    result = await billing.run("2028-05")
    (late,) = seen
    assert result["failed_groups"] == []
    services = {i["service_id"] for i in await billing.invoices_of(members[0])}
    assert str(late.service_id) in services
    done = await billing.scalar(
        "SELECT count(*) FROM billing_run_month WHERE usage_month = '2028-05-01'"
    )
    assert done == 1


async def test_r39_a_group_failing_at_the_database_holds_back_neither_others_nor_later_months(
    small_batch_billing: Any,
) -> None:
    billing = small_batch_billing
    good = [await billing.verify_member() for _ in range(4)]
    for member_id in good:
        await billing.activate(member_id, start=date(2028, 7, 1), initial_fee=0)
    # A July-only contract whose invoice amount overflows even bigint (1e19 yen).
    bad = await billing.verify_member()
    huge = await billing.activate(
        bad, start=date(2028, 7, 1), monthly_fee=5 * 10**18, quantity=2, initial_fee=0
    )
    await billing.cancel(huge, end=date(2028, 7, 31), fee=0)
    # Past int4: 1,500,000,000 × 2 yen is billed (bigint money columns).
    rich = await billing.verify_member()
    await billing.activate(rich, start=date(2028, 7, 1), monthly_fee=1_500_000_000, quantity=2)
    billing.pin(date(2028, 9, 15))
    (job,) = [j for j in SERVICE.jobs(billing.runtime) if j.name == "billing.runs"]
    assert await run_once_if_leader(billing.runtime.engine, job)
    await billing.work_queue()

    response = await billing.client.get(
        "/api/v1/ops/billing/runs?limit=200", headers=billing.ops_headers()
    )
    runs = {r["month"]: r for r in response.json()["items"]}
    july, august = runs["2028-07"], runs["2028-08"]
    issued = {
        month: await billing.scalar(
            "SELECT count(*) FROM invoice WHERE usage_month = :m", m=date(2028, month, 1)
        )
        for month in (7, 8)
    }
    assert july["status"] == "done" and july["invoices_issued"] == issued[7]
    (failed,) = july["failed_groups"]
    assert failed["member_id"] == str(bad) and "out of int64 range" in failed["reason"]
    assert august["status"] == "done" and august["failed_groups"] == []
    assert august["invoices_issued"] == issued[8] == issued[7]
    for member_id in good:
        months = sorted(i["usage_period_start"] for i in await billing.invoices_of(member_id))
        assert months == ["2028-07-01", "2028-08-01"]
    assert await billing.invoices_of(bad) == []
    totals = {i["total"] for i in await billing.invoices_of(rich)}
    assert 3_300_000_000 in totals
    # July stays open, so the next scheduled run retries the failed group; August is done.
    months_done = await billing.scalar(
        "SELECT string_agg(to_char(usage_month, 'YYYY-MM'), ',' ORDER BY usage_month)"
        " FROM billing_run_month WHERE usage_month >= '2028-07-01'"
    )
    assert months_done == "2028-08"
    numbers = await billing.scalar(
        "SELECT count(*) = max(split_part(invoice_number, '-', 2)::int)"
        " FROM invoice WHERE invoice_number LIKE '2028-%'"
    )
    assert numbers is True


async def test_r37_void_and_correct_of_a_partly_paid_invoice_nets_the_payment(
    billing: Any,
) -> None:
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2028, 10, 1), initial_fee=0)
    billing.pin(date(2028, 11, 15))
    await billing.run("2028-10")
    (original,) = await billing.invoices_of(member_id)
    paid = await billing.client.post(
        f"/api/v1/ops/billing/invoices/{original['id']}/payments",
        json={"amount": 1000, "paid_on": "2028-11-20"},
        headers=billing.ops_headers(),
    )
    assert paid.status_code == 200, paid.text
    response = await billing.client.post(
        f"/api/v1/ops/billing/invoices/{original['id']}/correct",
        json={
            "reason": "単価の誤り",
            "lines": [
                {"label_ja": "光回線 月額", "label_en": "Fiber", "quantity": 1, "unit_price": 2000}
            ],
        },
        headers=billing.ops_headers(),
    )
    assert response.status_code == 201, response.text
    corrected = response.json()
    assert (corrected["total"], corrected["paid_amount"], corrected["status"]) == (
        2200,
        1000,
        "issued",
    )
    statuses = {
        i["id"]: (i["status"], i["paid_amount"]) for i in await billing.invoices_of(member_id)
    }
    assert statuses[original["id"]] == ("void", 1000)


async def test_r37_void_and_correct_of_a_paid_invoice_leaves_the_correction_paid(
    billing: Any,
) -> None:
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2028, 12, 1), initial_fee=0)
    billing.pin(date(2029, 1, 15))
    await billing.run("2028-12")
    (original,) = await billing.invoices_of(member_id)
    await billing.client.post(
        f"/api/v1/ops/billing/invoices/{original['id']}/payments",
        json={"amount": 3300, "paid_on": "2029-01-20"},
        headers=billing.ops_headers(),
    )
    response = await billing.client.post(
        f"/api/v1/ops/billing/invoices/{original['id']}/correct",
        json={
            "reason": "数量の誤り",
            "lines": [
                {"label_ja": "光回線 月額", "label_en": "Fiber", "quantity": 2, "unit_price": 3000}
            ],
        },
        headers=billing.ops_headers(),
    )
    assert response.status_code == 201, response.text
    corrected = response.json()
    # 6,600 due, 3,300 of it paid on the voided original.
    assert (corrected["total"], corrected["paid_amount"], corrected["status"]) == (
        6600,
        3300,
        "issued",
    )
