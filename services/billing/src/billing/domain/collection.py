"""Account-transfer collection (R35): the debit batch of a collection date, what goes
into it, the Zengin request file it is rendered as, and how the bank's result file
moves its invoices; pure.

- A collection date is the transfer day (the 27th) of a month, or the next
  business day when that is not one.
- A batch holds every issued, unpaid account-transfer invoice due by its date whose
  debit has not been asked for yet (an invoice is in at most one batch). There is
  one batch per date: building it again answers the batch already built, so its
  file is the same bytes.
- Only a result code 0 marks an invoice paid (a payment row of the debited amount
  on the collection date). Any other code fails the debit: the invoice falls back to
  invoice payment with a new due date and the member is emailed. A debit that
  already has its result keeps it: the same result file applied twice changes
  nothing, and a file saying otherwise for a settled debit is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from billing.domain import zengin
from billing.domain.account_transfer import AccountTransfer
from billing.domain.errors import (
    DebitResultConflict,
    NotACollectionDate,
    ZenginFileInvalid,
)
from billing.domain.invoice import Invoice
from jpcalendar import add_business_days, first_business_day_on_or_after
from servicekit.aggregate import Aggregate

BatchStatus = Literal["built", "completed"]
DebitStatus = Literal["pending", "collected", "failed"]


def collection_date_of(year: int, month: int, transfer_day: int = 27) -> date:
    """The collection date of a month: ``transfer_day`` or the next business day."""
    return first_business_day_on_or_after(date(year, month, transfer_day))


def is_collection_date(day: date, transfer_day: int = 27) -> bool:
    return day == collection_date_of(day.year, day.month, transfer_day)


def fallback_due_date(result_day: date, business_days: int) -> date:
    """The new due date of an invoice whose debit failed: ``business_days`` business
    days after the result arrived (R35)."""
    return add_business_days(result_day, business_days)


def reason_of(code: str) -> dict[str, str]:
    """What a Zengin result code means, in both languages."""
    _, ja, en = zengin.RESULT_CODES[code]
    return {"ja": ja, "en": en}


@dataclass(frozen=True)
class Consignor:
    """The mall as the bank knows it: its consignor code and the account debits are
    collected into (billing settings ``BILLING_COLLECTION_*``)."""

    code: str
    name_kana: str
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: str
    account_number: str


@dataclass(frozen=True)
class PayerAccount:
    """A member's bank account as opened from the sealed application (only while the
    file is rendered)."""

    account_number: str
    holder_name_kana: str


@dataclass
class Debit:
    """One invoice to debit, and the bank's answer."""

    id: uuid.UUID
    batch_id: uuid.UUID
    position: int
    invoice_id: uuid.UUID
    member_id: uuid.UUID
    invoice_number: str
    amount: int
    transfer_id: uuid.UUID
    bank_code: str
    branch_code: str
    account_type: str
    masked_number: str
    customer_number: str
    result_code: str | None = None
    result_at: datetime | None = None
    new_due_date: date | None = None

    @property
    def status(self) -> DebitStatus:
        if self.result_code is None:
            return "pending"
        return "collected" if self.result_code == "0" else "failed"

    @property
    def result(self) -> str | None:
        """The result code's meaning (``insufficient_funds``, …)."""
        return zengin.RESULT_CODES[self.result_code][0] if self.result_code else None


@dataclass(frozen=True)
class ResultOutcome:
    """What applying a result file did: debits newly collected and failed, and those
    that already had this result."""

    collected: int = 0
    failed: int = 0
    unchanged: int = 0


@dataclass(eq=False)
class DebitBatch(Aggregate):
    """The debits of one collection date (R35)."""

    id: uuid.UUID
    collection_date: date
    status: BatchStatus
    debit_count: int
    total: int
    built_at: datetime
    built_by: str
    version: int
    updated_at: datetime
    debits: list[Debit] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        collection_date: date,
        candidates: Sequence[tuple[Invoice, AccountTransfer]],
        transfer_day: int,
        actor: str,
        now: datetime,
    ) -> DebitBatch:
        """The batch of ``collection_date`` with every candidate that is due by then and
        still waiting for its debit, in invoice-number order."""
        if not is_collection_date(collection_date, transfer_day):
            raise NotACollectionDate(
                collection_date_of(collection_date.year, collection_date.month, transfer_day)
            )
        batch_id = uuid.uuid4()
        chosen = sorted(
            (
                (inv, transfer)
                for inv, transfer in candidates
                if debit_is_due(inv, collection_date) and transfer.status == "completed"
            ),
            key=lambda pair: (pair[0].invoice_number, str(pair[0].id)),
        )
        debits = [
            Debit(
                id=uuid.uuid4(),
                batch_id=batch_id,
                position=position,
                invoice_id=inv.id,
                member_id=inv.member_id,
                invoice_number=inv.invoice_number,
                amount=inv.amount_due,
                transfer_id=transfer.id,
                bank_code=transfer.bank_code,
                branch_code=transfer.branch_code,
                account_type=transfer.account_type,
                masked_number=transfer.masked_number,
                customer_number=customer_number_of(inv),
            )
            for position, (inv, transfer) in enumerate(chosen, start=1)
        ]
        return cls(
            id=batch_id,
            collection_date=collection_date,
            status="built",
            debit_count=len(debits),
            total=sum(d.amount for d in debits),
            built_at=now,
            built_by=actor,
            version=1,
            updated_at=now,
            debits=debits,
        )

    def request_file(
        self, consignor: Consignor, accounts: Mapping[uuid.UUID, PayerAccount]
    ) -> zengin.ZenginFile:
        """The Zengin debit request (種別 91) of the batch; ``accounts`` are the opened
        bank accounts by transfer application id."""
        header = zengin.Header(
            consignor_code=consignor.code,
            consignor_name=consignor.name_kana,
            collection_date=self.collection_date,
            bank_code=consignor.bank_code,
            bank_name=consignor.bank_name_kana,
            branch_code=consignor.branch_code,
            branch_name=consignor.branch_name_kana,
            account_type=consignor.account_type,
            account_number=consignor.account_number,
        )
        records = [
            zengin.DataRecord(
                bank_code=d.bank_code,
                branch_code=d.branch_code,
                account_type=d.account_type,
                account_number=accounts[d.transfer_id].account_number,
                payer_name=accounts[d.transfer_id].holder_name_kana,
                amount=d.amount,
                customer_number=d.customer_number,
            )
            for d in sorted(self.debits, key=lambda d: d.position)
        ]
        return zengin.ZenginFile.request(header, records)

    def apply_results(
        self,
        result: zengin.ZenginFile,
        *,
        consignor: Consignor,
        invoices: Mapping[uuid.UUID, Invoice],
        new_due_date: date,
        actor: str,
        now: datetime,
    ) -> ResultOutcome:
        """Apply the bank's result file: code 0 records the payment, any other fails the
        debit (the invoice falls back to invoice payment due on ``new_due_date``). The
        whole file is checked before anything moves; a bad record is named by its line."""
        matched = self._match(result, consignor)
        collected = failed = unchanged = 0
        for debit, record in matched:
            if debit.result_code is not None:
                unchanged += 1
                continue
            invoice = invoices[debit.invoice_id]
            debit.result_code = record.result_code
            debit.result_at = now
            if record.result_code == "0":
                if invoice.status != "void":
                    invoice.record_payment(
                        amount=debit.amount, paid_on=self.collection_date, actor=actor, now=now
                    )
                collected += 1
            else:
                if invoice.awaiting_debit:
                    invoice.record_failed_transfer(
                        failed_on=self.collection_date,
                        actor=actor,
                        now=now,
                        new_due_date=new_due_date,
                        result_code=record.result_code,  # type: ignore[arg-type]
                        reason=reason_of(record.result_code),
                    )
                    debit.new_due_date = new_due_date
                failed += 1
        if collected or failed:
            if all(d.result_code is not None for d in self.debits):
                self.status = "completed"
            self.version += 1
            self.updated_at = now
        return ResultOutcome(collected=collected, failed=failed, unchanged=unchanged)

    def _match(
        self, result: zengin.ZenginFile, consignor: Consignor
    ) -> list[tuple[Debit, zengin.DataRecord]]:
        header = result.header
        if header.consignor_code != consignor.code:
            raise ZenginFileInvalid(1, f"consignor code {header.consignor_code} is not ours")
        if header.collection_date != self.collection_date:
            raise ZenginFileInvalid(
                1,
                f"collection date {header.collection_date:%m%d} is not this batch's "
                f"({self.collection_date:%m%d})",
            )
        by_number = {d.customer_number: d for d in self.debits}
        seen: set[str] = set()
        matched = []
        for line, record in enumerate(result.records, start=2):
            debit = by_number.get(record.customer_number)
            if debit is None:
                raise ZenginFileInvalid(
                    line, f"customer number {record.customer_number!r} is not in this batch"
                )
            if record.customer_number in seen:
                raise ZenginFileInvalid(line, f"customer number {record.customer_number} twice")
            seen.add(record.customer_number)
            if (record.amount, record.bank_code, record.branch_code) != (
                debit.amount,
                debit.bank_code,
                debit.branch_code,
            ):
                raise ZenginFileInvalid(
                    line, "amount, bank or branch differs from the debit that was asked for"
                )
            if debit.result_code is not None and debit.result_code != record.result_code:
                raise DebitResultConflict(line, debit.result_code, record.result_code)
            matched.append((debit, record))
        return matched


def debit_is_due(invoice: Invoice, collection_date: date) -> bool:
    """Whether an invoice goes into the batch of ``collection_date``: issued, on account
    transfer, its debit neither collected nor failed, due by then, something to pay."""
    return invoice.awaiting_debit and invoice.due_date <= collection_date and invoice.amount_due > 0


def customer_number_of(invoice: Invoice) -> str:
    """The 顧客番号 naming a debit in the file and in the bank's answer: the invoice
    number (unique per issuer and year; at most 20 characters)."""
    return invoice.invoice_number[:20]
