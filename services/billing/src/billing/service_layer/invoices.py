"""Reading invoices, and what happens to an issued invoice afterwards (R24): payments,
failed transfers, the overdue check, settling transfers, and correction by voiding.

An issued invoice's amounts never change (the database refuses it); only its
status, the sum paid and whether a transfer failed move.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from billing.config import Settings
from billing.domain.billing_month import due_date_of
from billing.domain.errors import AccountNotFound, InvoiceNotFound
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
) -> Page[Invoice]:
    """Invoices newest first, of one member and/or in one state when given."""
    return await uow.invoices.page(limit=limit, cursor=cursor, member_id=member_id, status=status)


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
    *, uow: BillingUnitOfWork, invoice_id: uuid.UUID, failed_on: date, actor: str
) -> Invoice:
    """Ops record that an account-transfer debit failed: the invoice is not settled on
    its transfer date and becomes overdue like an unpaid one. Audited (R29)."""
    invoice = await _locked(uow, invoice_id)
    invoice.record_failed_transfer(failed_on=failed_on, actor=actor, now=uow.now())
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


async def settle_account_transfers(*, uow: BillingUnitOfWork, today: date | None = None) -> int:
    """Account-transfer invoices are paid on their transfer date unless ops recorded a
    failed debit (R24); returns how many were settled."""
    now = uow.now()
    today = today or japan_today(now)
    due = await uow.invoices.awaiting_settlement(today)
    settled = [i for i in due if i.settle_by_transfer(today=today, now=now)]
    await uow.invoices.save_all(settled)
    await uow.commit()
    return len(settled)


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
    original is kept as it was, with status ``void``. Audited (R29)."""
    now = uow.now()
    today = japan_today(now)
    original = await _locked(uow, invoice_id)
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
    )
    await uow.commit()
    return corrected
