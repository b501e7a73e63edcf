"""Deposit reconciliation (入金消込, R36): importing a bank statement, matching its credit
lines to open invoices and recording their payments, and ops matching the lines
that wait by hand. Every action is audited (R29).

The file is read and checked whole first (``parse_statement``); an import is then
one transaction — the import, its lines and every payment commit together or not
at all. Imports take turns (``lock_imports``). A file imported before (same
SHA-256) answers its earlier import and records nothing; a line imported before
(same content and occurrence, see ``billing.domain.bank_statement``) is kept as a
``duplicate`` and records nothing.

An import reads what it needs set-wise, whatever the file's size: the lines known
already (one query), the invoices its lines may pay — by number, or open ones of
its payers — locked in one query, and the hints of its unmatched lines (one
query); the lines are then decided in file order against those invoices, each
payment moving them, and every move is written with one statement.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from billing.domain.bank_statement import (
    BankStatement,
    ParsedLine,
    StatementNotFound,
    parse_statement,
)
from billing.domain.errors import InvoiceNotFound
from billing.domain.invoice import Invoice
from billing.domain.reconciliation import (
    Decision,
    MatchMethod,
    OpenInvoice,
    decide,
    invoice_numbers_in,
    payer_key,
)
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.pagination import Page


@dataclass(frozen=True)
class Imported:
    """An import, and whether this upload created it (False: the file was imported
    before and nothing new was recorded)."""

    statement: BankStatement
    created: bool


async def import_statement(
    *, uow: BillingUnitOfWork, content: bytes, file_name: str | None, actor: str
) -> Imported:
    """Import a bank statement file and match its lines (R36)."""
    parsed = parse_statement(content)
    await uow.statements.lock_imports()
    earlier = await uow.statements.by_file(parsed.sha256)
    if earlier is not None:
        uow.audit(
            actor=actor,
            action="billing.bank_statement.import_repeated",
            target=str(earlier.id),
            file_name=file_name,
            file_sha256=parsed.sha256,
        )
        await uow.commit()
        return Imported(earlier, created=False)
    statement = BankStatement.start(parsed, file_name=file_name, actor=actor, now=uow.now())
    known = await uow.statements.known_lines([x.line_key for x in parsed.lines])
    fresh = [x for x in parsed.lines if x.line_key not in known]
    book = _Book(
        await uow.statements.lock_matchable(
            numbers=sorted({n for x in fresh for n in invoice_numbers_in(x.reference)}),
            payer_keys=sorted({payer_key(x.payer_kana) for x in fresh} - {""}),
        )
    )
    paid: dict[uuid.UUID, Invoice] = {}
    for parsed_line in parsed.lines:
        if parsed_line.line_key in known:
            statement.take(parsed_line, decision=None, duplicate_of=known[parsed_line.line_key])
            continue
        decision = book.decide(parsed_line)
        line = statement.take(parsed_line, decision=decision)
        if decision.outcome == "match" and decision.invoice_id and decision.method:
            invoice = book.invoices[decision.invoice_id]
            _pay(uow, statement, line.id, invoice, decision.method, actor)
            paid[invoice.id] = invoice
    await uow.invoices.save_all(list(paid.values()))
    waiting = [x for x in statement.lines if x.status == "unmatched"]
    hints = await uow.statements.open_by_amount(sorted({x.amount for x in waiting}))
    for line in waiting:
        statement.hint(line.id, tuple(hints.get(line.amount, ())))
    await uow.statements.add(statement)
    uow.audit(
        actor=actor,
        action="billing.bank_statement.imported",
        target=str(statement.id),
        file_name=file_name,
        file_sha256=parsed.sha256,
        encoding=parsed.encoding,
        **statement.counts(),
    )
    await uow.commit()
    return Imported(statement, created=True)


class _Book:
    """The invoices a statement's lines may pay (locked), as matching sees them; each
    payment recorded moves them, so later lines see what is still due."""

    def __init__(self, matchable: list[tuple[Invoice, str]]) -> None:
        self.invoices = {inv.id: inv for inv, _ in matchable}
        self._keys = {inv.id: key for inv, key in matchable}
        self._by_number: dict[str, list[uuid.UUID]] = defaultdict(list)
        self._by_key: dict[str, list[uuid.UUID]] = defaultdict(list)
        for inv, key in matchable:
            self._by_number[inv.invoice_number].append(inv.id)
            if key:
                self._by_key[key].append(inv.id)

    def _open(self, ids: list[uuid.UUID]) -> list[OpenInvoice]:
        return [OpenInvoice.of(self.invoices[i], self._keys[i]) for i in ids]

    def decide(self, line: ParsedLine) -> Decision:
        numbers = invoice_numbers_in(line.reference)
        return decide(
            amount=line.amount,
            payer_kana=line.payer_kana,
            referenced=self._open([i for n in numbers for i in self._by_number.get(n, [])]),
            candidates=self._open(self._by_key.get(payer_key(line.payer_kana), [])),
        )


def _pay(
    uow: BillingUnitOfWork,
    statement: BankStatement,
    line_id: uuid.UUID,
    invoice: Invoice,
    method: MatchMethod,
    actor: str,
) -> None:
    """Record the line's payment on the (locked) invoice — the path ops' payments take —
    and mark the line matched; audited as a payment. The caller saves the invoice."""
    line = statement.check_waiting(line_id)
    due_before = invoice.amount_due
    now = uow.now()
    payment = invoice.record_payment(
        amount=line.amount, paid_on=line.value_date, actor=actor, now=now
    )
    matched = statement.matched(
        line_id,
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        payment_id=payment.id,
        amount_due_before=due_before,
        method=method,
        actor=actor,
        now=now,
    )
    uow.audit(
        actor=actor,
        action="billing.invoice.payment_recorded",
        target=str(invoice.id),
        member_id=invoice.member_id,
        amount=line.amount,
        paid_on=line.value_date.isoformat(),
        statement_id=str(statement.id),
        statement_line_id=str(line.id),
        method=method,
        settlement=matched.settlement,
        overpaid_amount=matched.overpaid_amount,
    )


async def list_statements(
    *, uow: BillingUnitOfWork, limit: int, cursor: str | None
) -> Page[BankStatement]:
    """Imports newest first, with their tallies."""
    return await uow.statements.page(limit=limit, cursor=cursor)


async def get_statement(*, uow: BillingUnitOfWork, statement_id: uuid.UUID) -> BankStatement:
    """One import with its lines."""
    found = await uow.statements.get(statement_id)
    if found is None:
        raise StatementNotFound()
    return found


async def match_line(
    *,
    uow: BillingUnitOfWork,
    statement_id: uuid.UUID,
    line_id: uuid.UUID,
    invoice_id: uuid.UUID,
    actor: str,
) -> BankStatement:
    """Ops match a waiting (unmatched or ambiguous) line to an invoice by hand: its
    payment is recorded like any other (R36). 404 for an unknown import, line or
    invoice; 409 for a line already matched or a duplicate, or a void invoice."""
    statement = await uow.statements.get(statement_id, for_update=True)
    if statement is None:
        raise StatementNotFound()
    statement.check_waiting(line_id)
    invoice = await uow.invoices.get(invoice_id, for_update=True)
    if invoice is None:
        raise InvoiceNotFound()
    _pay(uow, statement, line_id, invoice, "manual", actor)
    await uow.invoices.save(invoice)
    await uow.statements.save(statement)
    uow.audit(
        actor=actor,
        action="billing.bank_statement.line_matched",
        target=str(line_id),
        member_id=invoice.member_id,
        statement_id=str(statement_id),
        invoice_id=str(invoice_id),
    )
    await uow.commit()
    return statement
