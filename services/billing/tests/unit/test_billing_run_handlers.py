"""The monthly billing run's handlers on the fake unit of work (R21–R25): one invoice per
member, service and month, its lines, tax, number, dates and payment method, and
the months the scheduled run still owes."""

from __future__ import annotations

from datetime import date

import pytest

from billing.domain.billing_month import UsageMonth
from billing.domain.errors import MonthNotEnded
from billing.service_layer.billing_run import months_due
from bizmall_events import InvoiceIssued

from .conftest import SETTINGS, Desk

MAY_15 = date(2026, 5, 15)


async def test_r22_contracts_of_one_service_share_one_invoice(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1), initial_fee=0)
    await desk.contract(member, start=date(2026, 4, 1), initial_fee=0, quantity=2)
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    assert sorted(line.amount for line in invoice.lines) == [3000, 6000]
    assert [line.position for line in invoice.lines] == [1, 2]
    assert invoice.total == 9900


async def test_r22_different_services_never_share_an_invoice(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1), service="光回線")
    await desk.contract(member, start=date(2026, 4, 1), service="クラウドPBX")
    result = await desk.run("2026-04", on=MAY_15)
    assert result.invoices_issued == 2
    assert len({i.service_id for i in desk.invoices_of(member)}) == 2


async def test_r22_a_second_run_of_the_month_issues_nothing_more(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=MAY_15)
    again = await desk.run("2026-04", on=MAY_15)
    assert again.invoices_issued == 0
    assert len(desk.invoices_of(member)) == 1


async def test_r22_small_batches_still_issue_every_invoice_once(desk: Desk) -> None:
    members = [await desk.member() for _ in range(5)]
    for member in members:
        await desk.contract(member, start=date(2026, 4, 1))
    result = await desk.run("2026-04", on=MAY_15)
    assert SETTINGS.run_batch_size == 2
    assert result.invoices_issued == 5
    assert sorted(len(desk.invoices_of(m)) for m in members) == [1] * 5


async def test_r22_each_invoice_records_its_issued_event(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1), initial_fee=0)
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    (event,) = desk.uow.events_of(InvoiceIssued)
    assert event.invoice_id == invoice.id
    assert (event.invoice_number, event.total, event.due_date) == (
        "2026-000001",
        3300,
        date(2026, 5, 31),
    )
    assert event.corrects_invoice_id is None


async def test_r22_a_run_ops_start_is_audited(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=MAY_15, actor="ops-1")
    (entry,) = desk.uow.audited("billing.run")
    assert (entry.actor, entry.target, entry.details) == (
        "ops-1",
        "2026-04",
        {"invoices_issued": 1},
    )


async def test_r23_a_month_is_billed_only_once_it_has_ended(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    with pytest.raises(MonthNotEnded) as refused:
        await desk.run("2026-04", on=date(2026, 4, 30))
    assert refused.value.code == "billing.month_not_ended"
    assert desk.invoices_of(member) == []


async def test_r23_start_month_is_prorated_by_days_used_with_the_initial_fee(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 16), quantity=2)
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    # 3000 × 2 × 15 days / 30 = 3000
    assert [(x.kind, x.amount) for x in invoice.lines] == [
        ("prorated_fee", 3000),
        ("initial_fee", 5000),
    ]
    assert (invoice.usage_period_start, invoice.usage_period_end) == (
        date(2026, 4, 16),
        date(2026, 4, 30),
    )


async def test_r23_monthly_fees_are_multiplied_by_the_quantity(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 3, 1), quantity=3)
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    assert [(x.kind, x.quantity, x.unit_price, x.amount) for x in invoice.lines] == [
        ("monthly_fee", 3, 3000, 9000)
    ]


async def test_r23_the_initial_fee_is_only_on_the_first_invoice(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=MAY_15)
    await desk.run("2026-05", on=date(2026, 6, 15))
    april, may = desk.invoices_of(member)
    assert "initial_fee" in [x.kind for x in april.lines]
    assert [x.kind for x in may.lines] == ["monthly_fee"]


async def test_r23_a_free_first_month_issues_no_invoice_and_takes_no_number(desk: Desk) -> None:
    free = await desk.member()
    payer = await desk.member()
    await desk.contract(free, start=date(2026, 4, 10), free_first_month=True)
    await desk.contract(payer, start=date(2026, 4, 1))
    result = await desk.run("2026-04", on=MAY_15)
    assert result.invoices_issued == 1
    assert desk.invoices_of(free) == []
    assert [i.invoice_number for i in desk.invoices_of(payer)] == ["2026-000001"]


async def test_r23_after_a_free_first_month_the_initial_fee_comes_next_month(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 10), free_first_month=True)
    await desk.run("2026-04", on=MAY_15)
    await desk.run("2026-05", on=date(2026, 6, 15))
    (may,) = desk.invoices_of(member)
    assert [(x.kind, x.amount) for x in may.lines] == [("monthly_fee", 3000), ("initial_fee", 5000)]


async def test_r23_the_invoice_is_dated_around_the_15th_of_the_next_month(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    result = await desk.run("2026-04", on=date(2026, 5, 7))
    (invoice,) = desk.invoices_of(member)
    assert result.issue_date == invoice.issue_date == MAY_15


async def test_r23_a_month_caught_up_late_is_dated_the_day_it_is_issued(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 3, 1))
    await desk.run("2026-03", on=date(2026, 6, 3))
    (invoice,) = desk.invoices_of(member)
    assert invoice.issue_date == date(2026, 6, 3)
    assert invoice.due_date == date(2026, 6, 30)


async def test_r20_r25_the_termination_fee_is_on_the_final_invoice_outside_tax(desk: Desk) -> None:
    member = await desk.member()
    contract = await desk.contract(member, start=date(2026, 3, 1), initial_fee=0)
    await desk.cancel(contract, end=date(2026, 4, 10), fee=27000)
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    assert [(x.kind, x.amount, x.taxable) for x in invoice.lines] == [
        ("prorated_fee", 1000, True),
        ("termination_fee", 27000, False),
    ]
    assert (invoice.taxable_subtotal, invoice.tax, invoice.non_taxable_subtotal) == (
        1000,
        100,
        27000,
    )
    assert invoice.total == 28100
    await desk.run("2026-05", on=date(2026, 6, 15))
    assert len(desk.invoices_of(member)) == 1


async def test_r25_tax_is_rounded_down_once_per_invoice_not_per_line(desk: Desk) -> None:
    member = await desk.member()
    # Two lines of 1,005 yen: 100.5 + 100.5 rounded per line would be 200, once it is 201.
    await desk.contract(member, start=date(2026, 3, 1), monthly_fee=1005, initial_fee=0)
    await desk.contract(member, start=date(2026, 3, 1), monthly_fee=1005, initial_fee=0)
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    assert (invoice.taxable_subtotal, invoice.tax, invoice.total) == (2010, 201, 2211)


async def test_r25_numbers_are_consecutive_per_year_and_continue_across_runs(desk: Desk) -> None:
    members = [await desk.member() for _ in range(3)]
    for member in members:
        await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=MAY_15)
    await desk.run("2026-05", on=date(2026, 6, 15))
    numbers = sorted(i.invoice_number for m in members for i in desk.invoices_of(m))
    assert numbers == [f"2026-{n:06d}" for n in range(1, 7)]
    assert desk.uow.invoices.counters[(SETTINGS.issuer_registration_number, 2026)] == 6


async def test_r25_the_invoice_names_issuer_registration_number_and_recipient(desk: Desk) -> None:
    member = await desk.member(organization_name="ビズ商事株式会社", department=None)
    await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    assert invoice.issuer["name"] == SETTINGS.issuer_name
    assert invoice.issuer["registration_number"] == invoice.issuer_registration_number
    assert invoice.issuer_registration_number == "T1234567890123"
    assert invoice.recipient["organization_name"] == "ビズ商事株式会社"
    assert invoice.recipient["department"] is None


async def test_r24_invoice_payment_is_due_at_the_end_of_the_issue_month(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    assert (invoice.payment_method, invoice.due_date) == ("invoice", date(2026, 5, 31))


async def test_r22_consolidated_mailing_is_printed_on_the_invoice(desk: Desk) -> None:
    from billing.service_layer.accounts import set_consolidated_mailing

    member = await desk.member()
    await desk.contract(member, start=date(2026, 4, 1))
    async with desk.uow:
        await set_consolidated_mailing(uow=desk.uow, member_id=member, enabled=True, actor="ops")
    await desk.run("2026-04", on=MAY_15)
    (invoice,) = desk.invoices_of(member)
    assert invoice.consolidated_mailing is True


async def test_r23_contracts_without_an_account_wait_and_the_month_stays_open(desk: Desk) -> None:
    import uuid

    stranger = uuid.uuid4()
    await desk.contract(stranger, start=date(2026, 4, 1))
    result = await desk.run("2026-04", on=MAY_15)
    assert (result.invoices_issued, result.contracts_waiting_for_account) == (0, 1)
    assert UsageMonth(2026, 4) not in desk.uow.runs.done
    await desk.member(stranger)
    assert (await desk.run("2026-04", on=MAY_15)).invoices_issued == 1
    assert desk.uow.runs.done[UsageMonth(2026, 4)] == 1


async def test_r23_the_scheduled_run_owes_every_missed_month_oldest_first(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 1, 20))
    async with desk.uow:
        due = await months_due(uow=desk.uow, today=date(2026, 4, 15))
    assert due == [UsageMonth(2026, 1), UsageMonth(2026, 2), UsageMonth(2026, 3)]


async def test_r23_a_finished_month_is_not_due_again(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 3, 1))
    await desk.run("2026-03", on=date(2026, 4, 15))
    async with desk.uow:
        assert await months_due(uow=desk.uow, today=date(2026, 4, 20)) == []


async def test_r23_a_contract_arriving_late_reopens_its_finished_month(desk: Desk) -> None:
    first = await desk.member()
    await desk.contract(first, start=date(2026, 3, 1))
    await desk.run("2026-03", on=date(2026, 4, 15))
    late = await desk.member()
    await desk.contract(late, start=date(2026, 3, 20))
    async with desk.uow:
        assert await months_due(uow=desk.uow, today=date(2026, 4, 20)) == [UsageMonth(2026, 3)]
    assert (await desk.run("2026-03")).invoices_issued == 1
