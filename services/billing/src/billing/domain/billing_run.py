"""What the monthly billing run decides for one member and service (R21–R23, R25): the
lines of the usage month, the payment method and dates, and the invoice — or none
when nothing is owed (a free first month)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Literal

from billing.domain.account import Recipient
from billing.domain.billing_month import UsageMonth, due_date_of
from billing.domain.charges import charges_for
from billing.domain.invoice import Invoice, InvoiceLine, Issuer
from billing.domain.invoice_number import InvoiceNumbers
from billing.domain.subscription import Subscription
from bizmall_events import PaymentMethod


@dataclass(frozen=True, slots=True)
class BillingGroup:
    """A member's contracts of one service that run during the usage month, with the
    account their invoice goes to: one invoice per group (R22)."""

    member_id: uuid.UUID
    service_id: uuid.UUID
    account_payment_method: PaymentMethod
    consolidated_mailing: bool
    recipient: Recipient
    contracts: Sequence[Subscription]
    #: 0 when the month has no invoice of the group yet; else the number of the
    #: supplementary invoice its late charges go on (R37).
    supplement_no: int = 0

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.member_id, self.service_id)

    @property
    def payment_method(self) -> PaymentMethod:
        """Account transfer once ops completed it, and only when every contract's service
        allows it; invoice payment otherwise (R21)."""
        if self.account_payment_method == "account_transfer" and all(
            c.allows_account_transfer for c in self.contracts
        ):
            return "account_transfer"
        return "invoice"

    def lines(self, usage: UsageMonth) -> list[InvoiceLine]:
        """Every contract's charges of ``usage``, numbered in contract order."""
        lines: list[InvoiceLine] = []
        for contract in self.contracts:
            for charge in charges_for(contract, usage):
                lines.append(
                    InvoiceLine(
                        position=len(lines) + 1,
                        contract_id=contract.contract_id,
                        kind=charge.kind,
                        plan_name=contract.plan_name,
                        quantity=charge.quantity,
                        unit_price=charge.unit_price,
                        amount=charge.amount,
                        taxable=charge.taxable,
                        period_start=charge.period_start,
                        period_end=charge.period_end,
                    )
                )
        return lines


@dataclass(frozen=True)
class BillingRun:
    """What every invoice of one run shares: the usage month, the invoice date, the
    issuer and the debit day of account transfer."""

    usage: UsageMonth
    issue_date: date
    issuer: Issuer
    transfer_day: int

    @cached_property
    def printed_issuer(self) -> dict[str, str]:
        """The issuer as every invoice of the run prints it."""
        return self.issuer.as_dict()

    @cached_property
    def due_dates(self) -> dict[PaymentMethod, date]:
        """The due date of the run's invoices, per payment method."""
        return {
            method: due_date_of(method, self.issue_date, self.transfer_day)
            for method in ("invoice", "account_transfer")
        }

    def invoice_for(
        self, group: BillingGroup, numbers: InvoiceNumbers, *, now: datetime
    ) -> Invoice | None:
        """The group's invoice of the month (a supplementary one when the month was
        invoiced already, R37), numbered next; None when it owes nothing. No number is
        taken then, nor when pricing the group fails."""
        lines = group.lines(self.usage)
        if not any(line.amount for line in lines):
            return None
        method = group.payment_method
        taken = numbers.last_sequence
        try:
            return self._issue(group, lines, method, numbers.take(), now)
        except Exception:
            numbers.last_sequence = taken
            raise

    def _issue(
        self,
        group: BillingGroup,
        lines: list[InvoiceLine],
        method: PaymentMethod,
        number: str,
        now: datetime,
    ) -> Invoice:
        return Invoice.issue(
            number=number,
            issuer=self.printed_issuer,
            issuer_registration_number=self.issuer.registration_number,
            member_id=group.member_id,
            service_id=group.service_id,
            service_name=group.contracts[0].service_name,
            usage_month=self.usage.first_day,
            period=_period(lines, self.usage),
            issue_date=self.issue_date,
            due_date=self.due_dates[method],
            payment_method=method,
            lines=lines,
            recipient=group.recipient.as_dict(),
            consolidated_mailing=group.consolidated_mailing,
            now=now,
            supplement_no=group.supplement_no,
        )


def _period(lines: Sequence[InvoiceLine], usage: UsageMonth) -> tuple[date, date]:
    """The days the invoice's fee lines cover (the whole month when none does)."""
    start, end = usage.last_day, usage.first_day
    for line in lines:
        if line.period_start and line.period_end:
            start, end = min(start, line.period_start), max(end, line.period_end)
    return (start, end) if start <= end else (usage.first_day, usage.last_day)


#: The states of a background billing run (R39).
RunStatus = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True, slots=True)
class FailedGroup:
    """A group a run could not bill, and why; it stays unbilled and the next run
    retries it (R39)."""

    member_id: uuid.UUID
    service_id: uuid.UUID
    reason: str
    #: Whom the group bills, so ops see a name, not a bare id (R30).
    organization_name: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A billing run ops or the scheduler asked for, with the progress it committed
    so far (R39): contracts done of total, invoices issued, failed groups."""

    id: uuid.UUID
    usage_month: date
    status: RunStatus
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    issue_date: date | None
    contracts_total: int
    contracts_done: int
    invoices_issued: int
    supplementary_issued: int
    contracts_waiting_for_account: int
    failed_groups: tuple[FailedGroup, ...]
    error: str | None
    attempts: int

    @classmethod
    def queued(cls, *, usage: UsageMonth, requested_by: str, now: datetime) -> RunRecord:
        """A new run waiting for the worker."""
        return cls(
            id=uuid.uuid4(),
            usage_month=usage.first_day,
            status="queued",
            requested_by=requested_by,
            requested_at=now,
            started_at=None,
            finished_at=None,
            issue_date=None,
            contracts_total=0,
            contracts_done=0,
            invoices_issued=0,
            supplementary_issued=0,
            contracts_waiting_for_account=0,
            failed_groups=(),
            error=None,
            attempts=0,
        )

    @property
    def usage(self) -> UsageMonth:
        return UsageMonth.of(self.usage_month)


def failure_reason(error: BaseException) -> str:
    """What a failed group's report says (the error's kind and first line, bounded)."""
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}"[:500]
