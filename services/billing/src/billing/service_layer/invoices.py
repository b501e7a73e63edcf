"""Reading invoices, and what happens to an issued invoice afterwards (R24): payments,
failed transfers, the overdue check, and correction by voiding. An account-transfer
invoice is paid only by a bank result saying so (``service_layer.collection``, R35).

An issued invoice's amounts never change (the database refuses it); only its
status, the sum paid and whether a transfer failed move.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from billing.config import Settings
from billing.domain.billing_month import UsageMonth, due_date_of
from billing.domain.collection import fallback_due_date
from billing.domain.errors import AccountNotFound, DebitPending, InvoiceNotFound
from billing.domain.invoice import CorrectedLine, Invoice, InvoiceStatus
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.clock import japan_today
from servicekit.pagination import Page


async def list_invoices(
    *,
    uow: BillingUnitOfWork,
    limit: int,
    cursor: str | None,
    member_id: uuid.UUID | None = None,
    status: InvoiceStatus | None = None,
    issued_in: UsageMonth | None = None,
) -> Page[Invoice]:
    """Invoices newest first, of one member, in one state and/or issued in one month
    when given."""
    issued = (issued_in.first_day, issued_in.last_day) if issued_in else None
    return await uow.invoices.page(
        limit=limit, cursor=cursor, member_id=member_id, status=status, issued=issued
    )


async def get_invoice(
    *, uow: BillingUnitOfWork, invoice_id: uuid.UUID, member_id: uuid.UUID | None = None
) -> Invoice:
    """One invoice with its lines; only the member's own when ``member_id`` is given."""
    found = await uow.invoices.get(invoice_id, member_id=member_id)
    if found is None:
        raise InvoiceNotFound()
    return found


async def _locked(uow: BillingUnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    found = await uow.invoices.get(invoice_id, for_update=True)
    if found is None:
        raise InvoiceNotFound()
    return found


async def record_payment(
    *, uow: BillingUnitOfWork, invoice_id: uuid.UUID, amount: int, paid_on: date, actor: str
) -> Invoice:
    """Ops record a payment (R24); payments add up, and the invoice is ``paid`` once they
    cover its total. Audited (R29)."""
    invoice = await _locked(uow, invoice_id)
    invoice.record_payment(amount=amount, paid_on=paid_on, actor=actor, now=uow.now())
    await uow.invoices.save(invoice)
    uow.audit(
        actor=actor,
        action="billing.invoice.payment_recorded",
        target=str(invoice_id),
        member_id=invoice.member_id,
        amount=amount,
        paid_on=paid_on.isoformat(),
    )
    await uow.commit()
    return invoice


async def record_failed_transfer(
    *,
    uow: BillingUnitOfWork,
    invoice_id: uuid.UUID,
    failed_on: date,
    actor: str,
    fallback_business_days: int = 10,
) -> Invoice:
    """Ops record by hand that an account-transfer debit failed (result code 9, other):
    as with a bank result file, the invoice falls back to invoice payment with a new
    due date and the member is emailed (R35). Audited (R29)."""
    invoice = await _locked(uow, invoice_id)
    now = uow.now()
    invoice.record_failed_transfer(
        failed_on=failed_on,
        actor=actor,
        now=now,
        new_due_date=fallback_due_date(max(japan_today(now), failed_on), fallback_business_days),
    )
    await uow.invoices.save(invoice)
    uow.audit(
        actor=actor,
        action="billing.invoice.transfer_failed",
        target=str(invoice_id),
        member_id=invoice.member_id,
        failed_on=failed_on.isoformat(),
    )
    await uow.commit()
    return invoice


async def mark_overdue(*, uow: BillingUnitOfWork, today: date | None = None) -> int:
    """Unpaid invoices past their due date become ``overdue`` and each records
    ``billing.invoice.overdue``, which asks notification to remind the member (R24)."""
    now = uow.now()
    today = today or japan_today(now)
    unpaid = await uow.invoices.unpaid_past_due(today)
    overdue = [i for i in unpaid if i.mark_overdue(today=today, now=now)]
    await uow.invoices.save_all(overdue)
    await uow.commit()
    return len(overdue)


async def void_and_correct(
    *,
    uow: BillingUnitOfWork,
    invoice_id: uuid.UUID,
    reason: str,
    lines: Sequence[CorrectedLine],
    actor: str,
    settings: Settings,
) -> Invoice:
    """Void an issued invoice and issue the corrected one referencing it (R24): the
    original is kept as it was, with status ``void``. An invoice paid in full or in part
    is corrected too: the correction nets what was paid (R37). Audited (R29)."""
    now = uow.now()
    today = japan_today(now)
    original = await _locked(uow, invoice_id)
    if await uow.collections.debit_pending(invoice_id):
        # R35: the bank may still debit it; its result is applied first.
        raise DebitPending()
    original.void(reason=reason, now=now)
    account = await uow.accounts.get(original.member_id)
    if account is None:
        raise AccountNotFound()
    numbers = await uow.invoices.lock_numbers(settings.issuer_registration_number, today.year)
    corrected = original.corrected(
        number=numbers.take(),
        issuer_registration_number=settings.issuer_registration_number,
        lines=lines,
        issue_date=today,
        due_date=due_date_of(original.payment_method, today, settings.transfer_day),
        recipient=account.recipient.as_dict(),
        consolidated_mailing=account.consolidated_mailing,
        now=now,
    )
    await uow.invoices.save(original)
    await uow.invoices.add(corrected)
    await uow.invoices.save_numbers(numbers)
    uow.audit(
        actor=actor,
        action="billing.invoice.voided_and_corrected",
        target=str(invoice_id),
        member_id=original.member_id,
        corrected_invoice_id=str(corrected.id),
        reason=reason,
        netted_payments=original.paid_amount,
    )
    await uow.commit()
    return corrected
