"""Bank statement imports and their lines (R36), and the invoice look-ups matching needs:
invoices by number, and open invoices of a payer by amount still due."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from billing.adapters.invoice_repository import _invoice
from billing.adapters.tables import (
    bank_statement,
    bank_statement_line,
    billing_account,
    invoice,
    plain_uuid,
)
from billing.domain.bank_statement import BankStatement, StatementLine
from billing.domain.invoice import Invoice
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository

_STATEMENT_COLUMNS = tuple(c.name for c in bank_statement.c)
_LINE_COLUMNS = tuple(c.name for c in bank_statement_line.c if c.name != "statement_id")
#: Serialises imports, so two uploads of one file cannot both import it.
_IMPORT_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtext('billing.bank_statement'))")
_OPEN = ("issued", "overdue")


def _line(row: Mapping[str, Any]) -> StatementLine:
    values = {name: row[name] for name in _LINE_COLUMNS}
    values["candidate_invoice_ids"] = tuple(uuid.UUID(x) for x in row["candidate_invoice_ids"])
    return StatementLine(**values, invoice_number=row.get("invoice_number"))


def _line_row(statement_id: uuid.UUID, line: StatementLine) -> dict[str, Any]:
    row = {name: getattr(line, name) for name in _LINE_COLUMNS}
    row["candidate_invoice_ids"] = [str(x) for x in line.candidate_invoice_ids]
    return {"statement_id": statement_id, **row}


def _statement(row: Mapping[str, Any], lines: Iterable[Mapping[str, Any]] = ()) -> BankStatement:
    return BankStatement(
        **{name: row[name] for name in _STATEMENT_COLUMNS},
        lines=[_line(x) for x in lines],
    )


class StatementRepository(SqlRepository):
    """Imports by id or file hash, their pages, the lines already imported, and the
    invoices a line may pay."""

    async def lock_imports(self) -> None:
        """Hold the import lock until the transaction ends."""
        await self.session.execute(_IMPORT_LOCK)

    async def get(
        self, statement_id: uuid.UUID, *, for_update: bool = False
    ) -> BankStatement | None:
        """An import with its lines (locked for a change when ``for_update``)."""
        return await self._one(bank_statement.c.id == statement_id, for_update)

    async def by_file(self, sha256: str) -> BankStatement | None:
        """The import of the file with this SHA-256, if it was imported before."""
        return await self._one(bank_statement.c.file_sha256 == sha256, False)

    async def _one(self, where: sa.ColumnElement[bool], for_update: bool) -> BankStatement | None:
        query = sa.select(bank_statement).where(where)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        lines = await self.session.execute(
            sa.select(bank_statement_line, invoice.c.invoice_number)
            .outerjoin(invoice, invoice.c.id == bank_statement_line.c.invoice_id)
            .where(bank_statement_line.c.statement_id == row["id"])
            .order_by(bank_statement_line.c.position)
        )
        return self.track(_statement(row, lines.mappings()))

    async def page(self, *, limit: int, cursor: str | None) -> Page[BankStatement]:
        """Imports newest first, without their lines but with their tallies."""
        query = after_cursor(
            sa.select(bank_statement),
            [bank_statement.c.imported_at, bank_statement.c.id],
            cursor,
            descending=True,
        ).limit(limit + 1)
        rows = list((await self.session.execute(query)).mappings())
        statements = [_statement(r) for r in rows]
        if statements:
            tallies = await self.session.execute(
                sa.select(
                    bank_statement_line.c.statement_id,
                    bank_statement_line.c.status,
                    bank_statement_line.c.settlement,
                    sa.func.count().label("n"),
                )
                .where(bank_statement_line.c.statement_id.in_([s.id for s in statements]))
                .group_by(
                    bank_statement_line.c.statement_id,
                    bank_statement_line.c.status,
                    bank_statement_line.c.settlement,
                )
            )
            by_id = {s.id: s for s in statements}
            for statement in statements:
                statement.tallies = dict.fromkeys(
                    ("lines", "matched", "unmatched", "ambiguous", "duplicate"), 0
                ) | {"overpaid": 0, "partial": 0}
            for t in tallies.mappings():
                counted = by_id[t["statement_id"]].tallies
                assert counted is not None
                counted["lines"] += t["n"]
                counted[t["status"]] += t["n"]
                if t["settlement"] in ("overpaid", "partial"):
                    counted[t["settlement"]] += t["n"]
        return page_of(statements, limit=limit, key=lambda s: (s.imported_at, plain_uuid(s.id)))

    async def known_lines(self, keys: Sequence[str]) -> dict[str, uuid.UUID]:
        """Of these line keys, those already imported: key → the line first holding it."""
        if not keys:
            return {}
        rows = await self.session.execute(
            sa.select(bank_statement_line.c.line_key, bank_statement_line.c.id).where(
                bank_statement_line.c.line_key.in_(list(keys)),
                bank_statement_line.c.status != "duplicate",
            )
        )
        return {r.line_key: plain_uuid(r.id) for r in rows}

    async def lock_matchable(
        self, *, numbers: Sequence[str], payer_keys: Sequence[str]
    ) -> list[tuple[Invoice, str]]:
        """The invoices a statement's lines may pay, locked (in id order, one statement)
        until the import commits, each with its member's payer key: those with these
        numbers (any state) and the open ones of members with these payer keys."""
        if not numbers and not payer_keys:
            return []
        query = (
            sa.select(invoice, billing_account.c.payer_key)
            .select_from(
                invoice.outerjoin(
                    billing_account, billing_account.c.member_id == invoice.c.member_id
                )
            )
            .where(
                sa.or_(
                    invoice.c.invoice_number.in_(list(numbers)),
                    sa.and_(
                        billing_account.c.payer_key.in_(list(payer_keys)),
                        invoice.c.status.in_(_OPEN),
                    ),
                )
            )
            .order_by(invoice.c.id)
            .with_for_update(of=invoice)
        )
        rows = (await self.session.execute(query)).mappings()
        return [(self.track(_invoice(r)), r["payer_key"] or "") for r in rows]

    async def open_by_amount(
        self, amounts: Sequence[int], *, per_amount: int = 10
    ) -> dict[int, list[uuid.UUID]]:
        """Of these amounts, the open invoices whose amount still due is one of them, of
        any payer, oldest due first, at most ``per_amount`` each (manual-match hints)."""
        if not amounts:
            return {}
        due = invoice.c.total - invoice.c.paid_amount
        ranked = (
            sa.select(
                invoice.c.id,
                due.label("due"),
                sa.func.row_number()
                .over(partition_by=due, order_by=(invoice.c.due_date, invoice.c.id))
                .label("rank"),
            )
            .where(invoice.c.status.in_(_OPEN), due.in_(list(amounts)))
            .subquery()
        )
        rows = await self.session.execute(
            sa.select(ranked.c.id, ranked.c.due)
            .where(ranked.c.rank <= per_amount)
            .order_by(ranked.c.due, ranked.c.rank)
        )
        found: dict[int, list[uuid.UUID]] = {}
        for row in rows:
            found.setdefault(row.due, []).append(plain_uuid(row.id))
        return found

    async def add(self, statement: BankStatement) -> None:
        """Insert the import and its lines."""
        await self.session.execute(
            sa.insert(bank_statement),
            {name: getattr(statement, name) for name in _STATEMENT_COLUMNS},
        )
        if statement.lines:
            await self.session.execute(
                sa.insert(bank_statement_line),
                [_line_row(statement.id, x) for x in statement.lines],
            )
        statement.changed_lines.clear()
        self.track(statement)

    async def save(self, statement: BankStatement) -> None:
        """Write the lines whose outcome changed, and the import's version."""
        await self.session.execute(
            sa.update(bank_statement)
            .where(bank_statement.c.id == statement.id)
            .values(version=statement.version)
        )
        for line in statement.lines:
            if line.id in statement.changed_lines:
                row = _line_row(statement.id, line)
                await self.session.execute(
                    sa.update(bank_statement_line)
                    .where(bank_statement_line.c.id == line.id)
                    .values({k: v for k, v in row.items() if k not in ("id", "statement_id")})
                )
        statement.changed_lines.clear()
