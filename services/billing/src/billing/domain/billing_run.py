"""What the monthly billing run decides for one member and service (R21–R23, R25): the
lines of the usage month, the payment method and dates, and the invoice — or none
when nothing is owed (a free first month)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

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
        """The group's invoice of the month, numbered next; None when it owes nothing
        (no number is taken then)."""
        lines = group.lines(self.usage)
        if not any(line.amount for line in lines):
            return None
        method = group.payment_method
        return Invoice.issue(
            number=numbers.take(),
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
        )


def _period(lines: Sequence[InvoiceLine], usage: UsageMonth) -> tuple[date, date]:
    """The days the invoice's fee lines cover (the whole month when none does)."""
    start, end = usage.last_day, usage.first_day
    for line in lines:
        if line.period_start and line.period_end:
            start, end = min(start, line.period_start), max(end, line.period_end)
    return (start, end) if start <= end else (usage.first_day, usage.last_day)
