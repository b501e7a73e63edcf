"""Request and response bodies of the bank statement routes (R36), kept beside
``schemas.py`` so the reconciliation routes' models stay together."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, Field

from billing.domain.bank_statement import BankStatement, StatementLine


class StatementCounts(BaseModel):
    """Lines by outcome; ``overpaid`` and ``partial`` count matched lines so flagged."""

    lines: int
    matched: int
    unmatched: int
    ambiguous: int
    duplicate: int
    overpaid: int
    partial: int


class StatementLineView(BaseModel):
    """One credit line and its outcome.

    ``status``: ``matched`` (a payment was recorded: ``method`` says how,
    ``settlement`` whether it paid the invoice off — ``full`` — left a balance —
    ``partial`` — or paid more — ``overpaid``, by ``overpaid_amount``),
    ``unmatched`` or ``ambiguous`` (waiting for a manual match;
    ``candidate_invoice_ids`` lists the invoices it could pay: for an ambiguous line
    the candidates found, for an unmatched one open invoices of exactly its amount of
    any payer, as hints), or ``duplicate``
    (imported before as ``duplicate_of``; nothing recorded).
    """

    id: uuid.UUID
    position: int = Field(description="1 for the first line after the header.")
    file_line: int = Field(description="The line of the file (the header is line 1).")
    value_date: date
    amount: int
    payer_kana: str
    reference: str
    status: Literal["matched", "unmatched", "ambiguous", "duplicate"]
    method: Literal["reference", "amount_and_kana", "manual"] | None
    invoice_id: uuid.UUID | None
    invoice_number: str | None
    payment_id: uuid.UUID | None
    settlement: Literal["full", "partial", "overpaid"] | None
    overpaid_amount: int
    candidate_invoice_ids: list[uuid.UUID]
    duplicate_of: uuid.UUID | None
    matched_by: str | None
    matched_at: datetime | None

    @classmethod
    def of(cls, line: StatementLine) -> Self:
        return cls.model_validate(
            {**vars(line), "candidate_invoice_ids": list(line.candidate_invoice_ids)}
        )


class StatementSummaryView(BaseModel):
    """An import in the list."""

    id: uuid.UUID
    file_name: str | None
    file_sha256: str
    encoding: Literal["utf-8", "utf-8-sig", "shift_jis"]
    imported_by: str
    imported_at: datetime
    counts: StatementCounts

    @classmethod
    def of(cls, statement: BankStatement) -> Self:
        return cls.model_validate(
            {
                **{k: v for k, v in vars(statement).items() if k != "lines"},
                "counts": statement.counts(),
            }
        )


class StatementView(StatementSummaryView):
    """An import with its lines. ``already_imported``: this upload was a file imported
    before (same SHA-256); nothing new was recorded."""

    lines: list[StatementLineView]
    already_imported: bool = False

    @classmethod
    def of(cls, statement: BankStatement, *, already_imported: bool = False) -> Self:
        return cls.model_validate(
            {
                **{k: v for k, v in vars(statement).items() if k != "lines"},
                "counts": statement.counts(),
                "lines": [StatementLineView.of(x) for x in statement.lines],
                "already_imported": already_imported,
            }
        )


class StatementPage(BaseModel):
    items: list[StatementSummaryView]
    next_cursor: str | None


class MatchBody(BaseModel):
    """``POST .../lines/{line_id}/match``: the invoice the line pays."""

    invoice_id: uuid.UUID
