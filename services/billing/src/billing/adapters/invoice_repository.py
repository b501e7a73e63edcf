"""Invoices with their lines and payments, and the issuer's invoice-number counter.

Invoices are inserted once and afterwards only their status columns move (a
trigger refuses any other change, migration 0002); lines are never updated.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import (
    invoice,
    invoice_line,
    invoice_number_counter,
    invoice_payment,
    plain_uuid,
)
from billing.domain.invoice import Invoice, InvoiceLine, InvoiceStatus
from billing.domain.invoice_number import InvoiceNumbers
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository

_COLUMNS = tuple(c.name for c in invoice.c)
_LINE_COLUMNS = tuple(c.name for c in invoice_line.c if c.name != "invoice_id")
#: What an invoice holds besides its row: its lines, new payments, recorded events.
_NOT_COLUMNS = frozenset(f.name for f in fields(Invoice)) - set(_COLUMNS) | {"_recorded_events"}
#: What moves on an issued invoice; everything else is fixed once issued.
_MOVING = (
    "status",
    "paid_amount",
    "transfer_failed",
    "fallback_due_date",
    "void_reason",
    "version",
    "updated_at",
)

# One statement for many invoices' moves (executemany).
_MOVE = (
    sa.update(invoice)
    .where(invoice.c.id == sa.bindparam("moved_id"))
    .values({name: sa.bindparam(f"moved_{name}") for name in _MOVING})
)


def _invoice(row: Mapping[str, Any], lines: Iterable[Mapping[str, Any]] = ()) -> Invoice:
    return Invoice(
        **{name: row[name] for name in _COLUMNS},
        lines=tuple(InvoiceLine(**{name: x[name] for name in _LINE_COLUMNS}) for x in lines),
    )


def _invoice_row(inv: Invoice) -> dict[str, Any]:
    # A billing run writes thousands: copying the instance dict is the cheapest mapping.
    row = vars(inv).copy()
    for name in _NOT_COLUMNS:
        row.pop(name, None)
    return row


def _line_rows(inv: Invoice) -> list[dict[str, Any]]:
    return [
        {"invoice_id": inv.id, **{name: getattr(line, name) for name in _LINE_COLUMNS}}
        for line in inv.lines
    ]


class InvoiceRepository(SqlRepository):
    """Invoices by id, the listings, the candidates of the payment checks, and numbers."""

    async def get(
        self,
        invoice_id: uuid.UUID,
        *,
        member_id: uuid.UUID | None = None,
        for_update: bool = False,
    ) -> Invoice | None:
        """One invoice with its lines; restricted to ``member_id`` when given (locked for
        a change when ``for_update``)."""
        query = sa.select(invoice).where(invoice.c.id == invoice_id)
        if member_id is not None:
            query = query.where(invoice.c.member_id == member_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        lines = await self.session.execute(
            sa.select(invoice_line)
            .where(invoice_line.c.invoice_id == invoice_id)
            .order_by(invoice_line.c.position)
        )
        return self.track(_invoice(row, lines.mappings()))

    async def page(
        self,
        *,
        limit: int,
        cursor: str | None,
        member_id: uuid.UUID | None = None,
        status: InvoiceStatus | None = None,
        issued: tuple[date, date] | None = None,
    ) -> Page[Invoice]:
        """Invoices newest first (without their lines), of one member, in one state
        and/or issued between two days (inclusive) when given."""
        query = sa.select(invoice)
        if member_id is not None:
            query = query.where(invoice.c.member_id == member_id)
        if status is not None:
            query = query.where(invoice.c.status == status)
        if issued is not None:
            query = query.where(invoice.c.issue_date.between(*issued))
        query = after_cursor(
            query, [invoice.c.issue_date, invoice.c.id], cursor, descending=True
        ).limit(limit + 1)
        rows = [_invoice(r) for r in (await self.session.execute(query)).mappings()]
        return page_of(rows, limit=limit, key=lambda i: (i.issue_date, plain_uuid(i.id)))

    async def stream_issued(
        self, first: date, last: date, *, chunk: int = 500
    ) -> AsyncIterator[list[Invoice]]:
        """Invoices issued from ``first`` to ``last`` (inclusive) by invoice number,
        without their lines, ``chunk`` at a time through a server-side cursor (the
        accounting export, R38: never the whole month in memory). Not tracked."""
        query = (
            sa.select(invoice)
            .where(invoice.c.issue_date.between(first, last))
            .order_by(invoice.c.invoice_number, invoice.c.id)
            .execution_options(yield_per=chunk)
        )
        result = await self.session.stream(query)
        async for rows in result.mappings().partitions(chunk):
            yield [_invoice(row) for row in rows]

    async def unpaid_past_due(self, today: date) -> list[Invoice]:
        """Issued invoices past their due date that are not waiting for a debit (locked)."""
        return await self._locked(
            invoice.c.status == "issued",
            sa.func.coalesce(invoice.c.fallback_due_date, invoice.c.due_date) < today,
            sa.or_(invoice.c.payment_method == "invoice", invoice.c.transfer_failed.is_(True)),
        )

    async def _locked(self, *where: sa.ColumnElement[bool]) -> list[Invoice]:
        query = sa.select(invoice).where(*where).order_by(invoice.c.id).with_for_update()
        return [self.track(_invoice(r)) for r in (await self.session.execute(query)).mappings()]

    async def add(self, inv: Invoice) -> None:
        await self.add_all([inv])

    async def add_all(self, invoices: Sequence[Invoice]) -> None:
        """Insert invoices and their lines: two statements however many there are."""
        if not invoices:
            return
        await self.session.execute(sa.insert(invoice), [_invoice_row(i) for i in invoices])
        lines = [row for i in invoices for row in _line_rows(i)]
        if lines:
            await self.session.execute(sa.insert(invoice_line), lines)
        for inv in invoices:
            self.track(inv)

    async def save(self, inv: Invoice) -> None:
        """Write the invoice's moves and the payments recorded on it."""
        await self.save_all([inv])

    async def save_all(self, invoices: Sequence[Invoice]) -> None:
        """Write many invoices' moves in one statement, and the payments recorded."""
        if not invoices:
            return
        await self.session.execute(
            _MOVE,
            [
                {"moved_id": i.id, **{f"moved_{name}": getattr(i, name) for name in _MOVING}}
                for i in invoices
            ],
        )
        payments = [
            {
                "id": p.id,
                "invoice_id": i.id,
                "kind": p.kind,
                "amount": p.amount,
                "paid_on": p.paid_on,
                "recorded_by": p.recorded_by,
                "recorded_at": p.recorded_at,
            }
            for i in invoices
            for p in i.recorded_payments
        ]
        if payments:
            await self.session.execute(sa.insert(invoice_payment), payments)
        for inv in invoices:
            inv.recorded_payments = ()

    async def lock_numbers(self, registration_number: str, year: int) -> InvoiceNumbers:
        """The issuer's number counter of ``year``, locked until the transaction ends:
        issuers take turns, so numbers stay gapless and in order (R25)."""
        key = {"issuer_registration_number": registration_number, "year": year}
        await self.session.execute(
            insert(invoice_number_counter).values(**key, last_sequence=0).on_conflict_do_nothing()
        )
        last: int = await self.session.scalar(
            sa.select(invoice_number_counter.c.last_sequence).filter_by(**key).with_for_update()
        )
        return InvoiceNumbers(registration_number, year, last)

    async def save_numbers(self, numbers: InvoiceNumbers) -> None:
        await self.session.execute(
            sa.update(invoice_number_counter)
            .filter_by(issuer_registration_number=numbers.registration_number, year=numbers.year)
            .values(last_sequence=numbers.last_sequence)
        )
