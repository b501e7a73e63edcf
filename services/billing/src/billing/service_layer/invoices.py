"""Reading invoices, and what happens to an issued invoice afterwards (R24): payments,
failed transfers, the overdue check, settling transfers, and correction by voiding.

An issued invoice's amounts never change (the database refuses it); only its
status, the sum paid and whether a transfer failed move.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import (
    billing_account,
    invoice,
    invoice_line,
    invoice_number_counter,
    invoice_payment,
)
from billing.config import Settings
from billing.domain.billing_month import invoice_due_date, transfer_date
from billing.domain.charges import Charge, LineKind
from billing.domain.invoice_number import invoice_number
from billing.domain.invoice_totals import InvoiceTotals
from billing.service_layer.billing_run import issued_event
from bizmall_events import InvoiceOverdue, LocalizedText
from servicekit.problems import Problem
from servicekit.uow import UnitOfWork


def invoice_not_found() -> Problem:
    """The 404 of an invoice that is not there — or not the caller's."""
    return Problem(
        404, "billing.invoice_not_found", ja="請求書が見つかりません。", en="No such invoice."
    )


def _encode_cursor(issue_date: date, invoice_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{issue_date.isoformat()}|{invoice_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[date, uuid.UUID]:
    try:
        day, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return date.fromisoformat(day), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


async def list_invoices(
    *,
    session: Any,
    limit: int,
    cursor: str | None,
    member_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Invoices newest first, of one member and/or in one state when given; ``ValueError``
    for a foreign cursor."""
    query = sa.select(invoice)
    if member_id is not None:
        query = query.where(invoice.c.member_id == member_id)
    if status is not None:
        query = query.where(invoice.c.status == status)
    if cursor:
        day, ident = _decode_cursor(cursor)
        query = query.where(sa.tuple_(invoice.c.issue_date, invoice.c.id) < (day, ident))
    query = query.order_by(invoice.c.issue_date.desc(), invoice.c.id.desc()).limit(limit + 1)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_cursor(rows[-1]["issue_date"], rows[-1]["id"])
    return rows, next_cursor


async def get_invoice(
    *, session: Any, invoice_id: uuid.UUID, member_id: uuid.UUID | None = None
) -> dict[str, Any] | None:
    """One invoice with its lines and payments; restricted to ``member_id`` when given."""
    query = sa.select(invoice).where(invoice.c.id == invoice_id)
    if member_id is not None:
        query = query.where(invoice.c.member_id == member_id)
    row = (await session.execute(query)).mappings().first()
    if row is None:
        return None
    lines = (
        await session.execute(
            sa.select(invoice_line)
            .where(invoice_line.c.invoice_id == invoice_id)
            .order_by(invoice_line.c.position)
        )
    ).mappings()
    payments = (
        await session.execute(
            sa.select(invoice_payment)
            .where(invoice_payment.c.invoice_id == invoice_id)
            .order_by(invoice_payment.c.recorded_at)
        )
    ).mappings()
    return {**row, "lines": [dict(x) for x in lines], "payments": [dict(p) for p in payments]}


async def _lock_invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> dict[str, Any]:
    row = (
        (
            await uow.session.execute(
                sa.select(invoice).where(invoice.c.id == invoice_id).with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise invoice_not_found()
    return dict(row)


def _invoice_void() -> Problem:
    return Problem(
        409,
        "billing.invoice_void",
        ja="この請求書は無効化されています。",
        en="This invoice has been voided.",
    )


async def record_payment(
    *,
    uow: UnitOfWork,
    invoice_id: uuid.UUID,
    amount: int,
    paid_on: date,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Ops record a payment (R24); payments add up, and the invoice is ``paid`` once they
    cover its total. Audited (R29)."""
    found = await _lock_invoice(uow, invoice_id)
    if found["status"] == "void":
        raise _invoice_void()
    paid = found["paid_amount"] + amount
    status = "paid" if paid >= found["total"] else found["status"]
    await uow.session.execute(
        sa.insert(invoice_payment).values(
            id=uuid.uuid4(),
            invoice_id=invoice_id,
            kind="payment",
            amount=amount,
            paid_on=paid_on,
            recorded_by=actor,
            recorded_at=now,
        )
    )
    await _move(uow, found, status=status, paid_amount=paid, now=now)
    uow.audit(
        actor=actor,
        action="billing.invoice.payment_recorded",
        target=str(invoice_id),
        amount=amount,
        paid_on=paid_on.isoformat(),
    )
    await uow.commit()
    return {**found, "status": status, "paid_amount": paid}


async def record_failed_transfer(
    *, uow: UnitOfWork, invoice_id: uuid.UUID, failed_on: date, actor: str, now: datetime
) -> dict[str, Any]:
    """Ops record that an account-transfer debit failed: the invoice is not settled on
    its transfer date and becomes overdue like an unpaid one. Audited (R29)."""
    found = await _lock_invoice(uow, invoice_id)
    if found["payment_method"] != "account_transfer" or found["status"] not in ("issued",):
        raise Problem(
            409,
            "billing.not_a_pending_transfer",
            ja="口座振替の引落し待ちの請求書ではありません。",
            en="This invoice is not waiting for an account-transfer debit.",
        )
    await uow.session.execute(
        sa.insert(invoice_payment).values(
            id=uuid.uuid4(),
            invoice_id=invoice_id,
            kind="transfer_failed",
            amount=0,
            paid_on=failed_on,
            recorded_by=actor,
            recorded_at=now,
        )
    )
    await _move(uow, found, transfer_failed=True, now=now)
    uow.audit(
        actor=actor,
        action="billing.invoice.transfer_failed",
        target=str(invoice_id),
        failed_on=failed_on.isoformat(),
    )
    await uow.commit()
    return {**found, "transfer_failed": True}


async def _move(uow: UnitOfWork, found: dict[str, Any], *, now: datetime, **values: Any) -> None:
    await uow.session.execute(
        sa.update(invoice)
        .where(invoice.c.id == found["id"])
        .values(**values, version=invoice.c.version + 1, updated_at=now)
    )


async def settle_account_transfers(*, uow: UnitOfWork, today: date, now: datetime) -> int:
    """Account-transfer invoices are paid on their transfer date unless ops recorded a
    failed debit (R24); returns how many were settled."""
    result = await uow.session.execute(
        sa.update(invoice)
        .where(
            invoice.c.status == "issued",
            invoice.c.payment_method == "account_transfer",
            invoice.c.transfer_failed.is_(False),
            invoice.c.due_date <= today,
        )
        .values(
            status="paid",
            paid_amount=invoice.c.total,
            version=invoice.c.version + 1,
            updated_at=now,
        )
        .returning(invoice.c.id)
    )
    settled = len(result.all())
    await uow.commit()
    return settled


async def mark_overdue(*, uow: UnitOfWork, today: date, now: datetime) -> int:
    """Unpaid invoices past their due date become ``overdue`` and
    ``billing.invoice.overdue`` asks notification to remind the member (R24)."""
    result = await uow.session.execute(
        sa.update(invoice)
        .where(
            invoice.c.status == "issued",
            invoice.c.due_date < today,
            sa.or_(invoice.c.payment_method == "invoice", invoice.c.transfer_failed.is_(True)),
        )
        .values(status="overdue", version=invoice.c.version + 1, updated_at=now)
        .returning(invoice)
    )
    rows = result.mappings().all()
    for row in rows:
        uow.publish(
            InvoiceOverdue(
                invoice_id=row["id"],
                aggregate_version=row["version"],
                invoice_number=row["invoice_number"],
                member_id=row["member_id"],
                service_id=row["service_id"],
                service_name=LocalizedText.model_validate(row["service_name"]),
                usage_period_start=row["usage_period_start"],
                usage_period_end=row["usage_period_end"],
                due_date=row["due_date"],
                total=row["total"],
                payment_method=row["payment_method"],
                amount_due=row["total"] - row["paid_amount"],
            )
        )
    await uow.commit()
    return len(rows)


@dataclass(frozen=True)
class CorrectedLine:
    """A line of a corrected invoice as ops enter it."""

    label_ja: str
    label_en: str
    quantity: int
    unit_price: int
    taxable: bool
    contract_id: uuid.UUID | None = None
    kind: LineKind = "adjustment"


async def void_and_correct(
    *,
    uow: UnitOfWork,
    invoice_id: uuid.UUID,
    reason: str,
    lines: list[CorrectedLine],
    actor: str,
    now: datetime,
    today: date,
    settings: Settings,
) -> dict[str, Any]:
    """Void an issued invoice and issue the corrected one referencing it (R24): the
    original is kept as it was, with status ``void``. Audited (R29)."""
    original = await _lock_invoice(uow, invoice_id)
    if original["status"] == "void":
        raise _invoice_void()
    if original["paid_amount"]:
        raise Problem(
            409,
            "billing.invoice_has_payments",
            ja="入金済みの請求書は訂正できません。",
            en="An invoice with recorded payments cannot be corrected.",
        )
    account = (
        (
            await uow.session.execute(
                sa.select(billing_account).where(
                    billing_account.c.member_id == original["member_id"]
                )
            )
        )
        .mappings()
        .one()
    )
    registration = settings.issuer_registration_number
    key = {"issuer_registration_number": registration, "year": today.year}
    await uow.session.execute(
        insert(invoice_number_counter).values(**key, last_sequence=0).on_conflict_do_nothing()
    )
    sequence: int = await uow.session.scalar(
        sa.update(invoice_number_counter)
        .filter_by(**key)
        .values(last_sequence=invoice_number_counter.c.last_sequence + 1)
        .returning(invoice_number_counter.c.last_sequence)
    )
    charges = [
        Charge(
            line.kind, line.quantity, line.unit_price, line.quantity * line.unit_price, line.taxable
        )
        for line in lines
    ]
    totals = InvoiceTotals.of(charges)
    corrected_id = uuid.uuid4()
    by_transfer = original["payment_method"] == "account_transfer"
    head = {
        **{
            k: original[k]
            for k in (
                "member_id",
                "service_id",
                "service_name",
                "usage_month",
                "usage_period_start",
                "usage_period_end",
                "payment_method",
            )
        },
        "id": corrected_id,
        "invoice_number": invoice_number(today.year, sequence),
        "issuer_registration_number": registration,
        "issue_date": today,
        "due_date": transfer_date(today, settings.transfer_day)
        if by_transfer
        else invoice_due_date(today),
        "taxable_subtotal": totals.taxable_subtotal,
        "non_taxable_subtotal": totals.non_taxable_subtotal,
        "tax": totals.tax,
        "total": totals.total,
        "issuer": original["issuer"],
        "recipient": {
            k: account[k]
            for k in (
                "entity_type",
                "organization_name",
                "name",
                "department",
                "postal_code",
                "address",
            )
        },
        "consolidated_mailing": account["consolidated_mailing"],
        "corrects_invoice_id": invoice_id,
        "status": "issued",
        "paid_amount": 0,
        "transfer_failed": False,
        "void_reason": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    await _move(uow, original, status="void", void_reason=reason, now=now)
    await uow.session.execute(sa.insert(invoice).values(**head))
    await uow.session.execute(
        sa.insert(invoice_line),
        [
            {
                "invoice_id": corrected_id,
                "position": position,
                "contract_id": line.contract_id,
                "kind": line.kind,
                "plan_name": {"ja": line.label_ja, "en": line.label_en},
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": charge.amount,
                "taxable": line.taxable,
                "period_start": None,
                "period_end": None,
            }
            for position, (line, charge) in enumerate(zip(lines, charges, strict=True), start=1)
        ],
    )
    uow.publish(issued_event(head))
    uow.audit(
        actor=actor,
        action="billing.invoice.voided_and_corrected",
        target=str(invoice_id),
        corrected_invoice_id=str(corrected_id),
        reason=reason,
    )
    await uow.commit()
    return head
