"""An issued invoice afterwards, on the fake unit of work (R24, R25): payments, a failed
debit (back on invoice payment, R35), overdue reminders, void and correct."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from billing.domain.errors import (
    InvoiceNotFound,
    InvoiceVoid,
    NotAPendingTransfer,
)
from billing.domain.invoice import CorrectedLine, Invoice
from billing.service_layer import accounts, invoices
from bizmall_events import InvoiceDebitFailed, InvoiceIssued, InvoiceOverdue
from servicekit.pagination import InvalidCursor

from .conftest import SETTINGS, Desk
from .test_billing_account_handlers import apply, decide


async def issued(
    desk: Desk, *, by_transfer: bool = False, member: uuid.UUID | None = None
) -> Invoice:
    """One April invoice of 3,300 yen (3,000 + 10% tax), issued on 15 May 2026."""
    member = member or await desk.member()
    if by_transfer:
        await decide(desk, await apply(desk, member), "completed")
    await desk.contract(member, start=date(2026, 4, 1), initial_fee=0)
    await desk.run("2026-04", on=date(2026, 5, 15))
    (invoice,) = desk.invoices_of(member)
    return invoice


async def pay(desk: Desk, invoice: Invoice, amount: int) -> Invoice:
    async with desk.uow:
        return await invoices.record_payment(
            uow=desk.uow,
            invoice_id=invoice.id,
            amount=amount,
            paid_on=date(2026, 5, 20),
            actor="ops-3",
        )


async def fail_debit(desk: Desk, invoice: Invoice) -> Invoice:
    async with desk.uow:
        return await invoices.record_failed_transfer(
            uow=desk.uow, invoice_id=invoice.id, failed_on=date(2026, 5, 27), actor="ops-3"
        )


async def correct(desk: Desk, invoice: Invoice, *lines: CorrectedLine) -> Invoice:
    async with desk.uow:
        return await invoices.void_and_correct(
            uow=desk.uow,
            invoice_id=invoice.id,
            reason="数量の誤り",
            lines=list(lines) or [CorrectedLine("調整", "Adjustment", 1, 2000, taxable=True)],
            actor="ops-3",
            settings=SETTINGS,
        )


async def overdue_check(desk: Desk, today: date) -> int:
    async with desk.uow:
        return await invoices.mark_overdue(uow=desk.uow, today=today)


def stored(desk: Desk, invoice: Invoice) -> Invoice:
    return desk.uow.invoices.items[invoice.id]


async def test_r24_partial_payments_add_up_until_the_invoice_is_paid(desk: Desk) -> None:
    invoice = await issued(desk)
    first = await pay(desk, invoice, 1000)
    assert (first.status, first.paid_amount) == ("issued", 1000)
    second = await pay(desk, invoice, 2300)
    assert (second.status, second.paid_amount) == ("paid", 3300)
    assert stored(desk, invoice).status == "paid"
    assert [p.amount for p in desk.uow.invoices.payments[invoice.id]] == [1000, 2300]


async def test_r24_each_payment_is_audited(desk: Desk) -> None:
    invoice = await issued(desk)
    await pay(desk, invoice, 500)
    (entry,) = desk.uow.audited("billing.invoice.payment_recorded")
    assert (entry.actor, entry.target) == ("ops-3", str(invoice.id))
    assert entry.details == {"amount": 500, "paid_on": "2026-05-20"}


async def test_r24_an_unknown_invoice_is_answered_404(desk: Desk) -> None:
    with pytest.raises(InvoiceNotFound) as refused:
        async with desk.uow:
            await invoices.record_payment(
                uow=desk.uow,
                invoice_id=uuid.uuid4(),
                amount=1,
                paid_on=date(2026, 5, 1),
                actor="ops",
            )
    assert refused.value.code == "billing.invoice_not_found"


async def test_r24_a_member_sees_only_their_own_invoices(desk: Desk) -> None:
    invoice = await issued(desk)
    other = await desk.member()
    async with desk.uow:
        mine = await invoices.get_invoice(
            uow=desk.uow, invoice_id=invoice.id, member_id=invoice.member_id
        )
        assert mine.id == invoice.id and len(mine.lines) == 1
        with pytest.raises(InvoiceNotFound):
            await invoices.get_invoice(uow=desk.uow, invoice_id=invoice.id, member_id=other)
        page = await invoices.list_invoices(uow=desk.uow, limit=10, cursor=None, member_id=other)
    assert page.items == []


async def test_r24_invoice_lists_page_newest_first_and_refuse_foreign_cursors(desk: Desk) -> None:
    member = await desk.member()
    await desk.contract(member, start=date(2026, 3, 1))
    await desk.run("2026-03", on=date(2026, 4, 15))
    await desk.run("2026-04", on=date(2026, 5, 15))
    async with desk.uow:
        first = await invoices.list_invoices(uow=desk.uow, limit=1, cursor=None, member_id=member)
        rest = await invoices.list_invoices(
            uow=desk.uow, limit=1, cursor=first.next_cursor, member_id=member
        )
        with pytest.raises(InvalidCursor):
            await invoices.list_invoices(uow=desk.uow, limit=1, cursor="bm90LWEtY3Vyc29y")
    assert [i.issue_date for i in first.items + rest.items] == [
        date(2026, 5, 15),
        date(2026, 4, 15),
    ]
    assert rest.next_cursor is None


async def test_r24_an_unpaid_invoice_past_its_due_date_becomes_overdue_and_reminds(
    desk: Desk,
) -> None:
    invoice = await issued(desk)
    await pay(desk, invoice, 1000)
    assert await overdue_check(desk, date(2026, 6, 1)) == 1
    assert stored(desk, invoice).status == "overdue"
    (event,) = desk.uow.events_of(InvoiceOverdue)
    assert (event.invoice_id, event.amount_due, event.due_date) == (
        invoice.id,
        2300,
        date(2026, 5, 31),
    )
    assert event.aggregate_version == stored(desk, invoice).version


async def test_r24_an_invoice_is_not_overdue_on_its_due_date(desk: Desk) -> None:
    invoice = await issued(desk)
    assert await overdue_check(desk, date(2026, 5, 31)) == 0
    assert stored(desk, invoice).status == "issued"
    assert desk.uow.events_of(InvoiceOverdue) == []


async def test_r24_a_paid_invoice_never_becomes_overdue(desk: Desk) -> None:
    invoice = await issued(desk)
    await pay(desk, invoice, 3300)
    assert await overdue_check(desk, date(2026, 7, 1)) == 0
    assert stored(desk, invoice).status == "paid"


async def test_r24_an_overdue_invoice_reminds_once(desk: Desk) -> None:
    await issued(desk)
    await overdue_check(desk, date(2026, 6, 1))
    assert await overdue_check(desk, date(2026, 6, 2)) == 0
    assert len(desk.uow.events_of(InvoiceOverdue)) == 1


async def test_r35_a_transfer_invoice_is_not_paid_on_its_transfer_date_without_a_result(
    desk: Desk,
) -> None:
    invoice = await issued(desk, by_transfer=True)
    assert not hasattr(invoices, "settle_account_transfers")
    assert await overdue_check(desk, date(2026, 6, 30)) == 0
    waiting = stored(desk, invoice)
    assert (waiting.status, waiting.paid_amount) == ("issued", 0)
    assert desk.uow.invoices.payments.get(invoice.id, []) == []


async def test_r24_a_transfer_invoice_is_not_overdue_while_its_debit_is_pending(
    desk: Desk,
) -> None:
    invoice = await issued(desk, by_transfer=True)
    assert await overdue_check(desk, date(2026, 5, 28)) == 0
    assert stored(desk, invoice).status == "issued"


async def test_r24_a_failed_debit_is_not_settled_and_becomes_overdue(desk: Desk) -> None:
    invoice = await issued(desk, by_transfer=True)
    failed = await fail_debit(desk, invoice)
    assert failed.transfer_failed is True
    assert desk.uow.audited("billing.invoice.transfer_failed")
    assert [p.kind for p in desk.uow.invoices.payments[invoice.id]] == ["transfer_failed"]
    # R35: back on invoice payment with a new due date: 10 business days after the
    # failed debit of 27 May (recorded on 15 May: never counted from before the debit).
    assert failed.fallback_due_date == date(2026, 6, 10)
    (event,) = desk.uow.events_of(InvoiceDebitFailed)
    assert (event.due_date, event.payment_method, event.result_code) == (
        date(2026, 6, 10),
        "invoice",
        "9",
    )
    assert await overdue_check(desk, date(2026, 6, 10)) == 0
    assert await overdue_check(desk, date(2026, 6, 11)) == 1
    assert stored(desk, invoice).status == "overdue"


async def test_r24_a_failed_debit_is_refused_on_an_invoice_payment_invoice(desk: Desk) -> None:
    invoice = await issued(desk)
    with pytest.raises(NotAPendingTransfer) as refused:
        await fail_debit(desk, invoice)
    assert refused.value.code == "billing.not_a_pending_transfer"
    assert stored(desk, invoice).transfer_failed is False


async def test_r24_a_mistake_is_corrected_by_voiding_and_issuing_a_corrected_invoice(
    desk: Desk,
) -> None:
    invoice = await issued(desk)
    desk.at(date(2026, 5, 20))
    corrected = await correct(
        desk,
        invoice,
        CorrectedLine("月額料金", "Monthly fee", 1, 2000, taxable=True),
        CorrectedLine("違約金", "Termination fee", 1, 1000, taxable=False, kind="termination_fee"),
    )
    original = stored(desk, invoice)
    assert (original.status, original.void_reason, original.total) == ("void", "数量の誤り", 3300)
    assert corrected.corrects_invoice_id == invoice.id
    assert corrected.invoice_number == "2026-000002"
    assert (corrected.issue_date, corrected.due_date) == (date(2026, 5, 20), date(2026, 5, 31))
    assert (corrected.taxable_subtotal, corrected.tax, corrected.non_taxable_subtotal) == (
        2000,
        200,
        1000,
    )
    assert (corrected.usage_period_start, corrected.usage_period_end) == (
        invoice.usage_period_start,
        invoice.usage_period_end,
    )
    assert corrected.lines[0].plan_name == {"ja": "月額料金", "en": "Monthly fee"}
    events = desk.uow.events_of(InvoiceIssued)
    assert events[-1].invoice_id == corrected.id and events[-1].corrects_invoice_id == invoice.id
    (entry,) = desk.uow.audited("billing.invoice.voided_and_corrected")
    assert entry.details["corrected_invoice_id"] == str(corrected.id)


async def test_r24_the_corrected_invoice_takes_the_current_recipient(desk: Desk) -> None:
    member = await desk.member(version=2)
    invoice = await issued(desk, member=member)
    await desk.member(member, version=3, organization_name="新商号株式会社")
    corrected = await correct(desk, invoice)
    assert stored(desk, invoice).recipient["organization_name"] == "山田商事株式会社"
    assert corrected.recipient["organization_name"] == "新商号株式会社"


async def test_r24_a_voided_invoice_is_not_corrected_twice(desk: Desk) -> None:
    invoice = await issued(desk)
    await correct(desk, invoice)
    with pytest.raises(InvoiceVoid) as refused:
        await correct(desk, invoice)
    assert refused.value.code == "billing.invoice_void"
    assert len(desk.uow.invoices) == 2


async def test_r24_a_voided_invoice_takes_no_payment(desk: Desk) -> None:
    invoice = await issued(desk)
    await correct(desk, invoice)
    with pytest.raises(InvoiceVoid):
        await pay(desk, invoice, 100)
    assert stored(desk, invoice).paid_amount == 0


async def test_r37_a_partly_paid_invoice_is_corrected_netting_the_payment(desk: Desk) -> None:
    invoice = await issued(desk)
    await pay(desk, invoice, 1000)
    # Corrected to 2,000 + 10% = 2,200 yen; 1,000 was paid on the original.
    corrected = await correct(desk, invoice)
    original = stored(desk, invoice)
    assert (original.status, original.paid_amount) == ("void", 1000)
    assert [p.amount for p in desk.uow.invoices.payments[invoice.id]] == [1000]
    assert (corrected.total, corrected.paid_amount, corrected.amount_due) == (2200, 1000, 1200)
    assert corrected.status == "issued"
    assert corrected.corrects_invoice_id == invoice.id
    (entry,) = desk.uow.audited("billing.invoice.voided_and_corrected")
    assert entry.details["netted_payments"] == 1000


async def test_r37_a_paid_invoice_is_corrected_and_the_correction_is_paid(desk: Desk) -> None:
    invoice = await issued(desk)
    await pay(desk, invoice, 3300)
    corrected = await correct(desk, invoice)
    assert stored(desk, invoice).status == "void"
    assert (corrected.total, corrected.paid_amount, corrected.status) == (2200, 3300, "paid")
    assert stored(desk, corrected).status == "paid"


async def test_r24_a_corrected_transfer_invoice_is_debited_on_the_transfer_day(desk: Desk) -> None:
    invoice = await issued(desk, by_transfer=True)
    desk.at(date(2026, 5, 20))
    corrected = await correct(desk, invoice)
    assert (corrected.payment_method, corrected.due_date) == ("account_transfer", date(2026, 5, 27))


async def test_r21_the_account_view_shows_the_latest_application(desk: Desk) -> None:
    member = await desk.member()
    desk.at(date(2026, 4, 1))
    await decide(desk, await apply(desk, member), "rejected", "名義不一致")
    desk.at(date(2026, 4, 2))
    await apply(desk, member)
    async with desk.uow:
        found = await accounts.get_account(uow=desk.uow, member_id=member)
    assert found.account_transfer is not None and found.account_transfer.status == "applied"
