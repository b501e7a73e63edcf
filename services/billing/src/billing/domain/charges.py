"""What one contract costs in one usage month (R20, R23): the money rules, pure.

Fees are tax-exclusive integer yen. A month the contract only partly covers is
billed by days used (日割り): monthly fee × quantity × days used ÷ days in the
month, rounded down to the yen. A free first month bills nothing for the start
month, and the initial fee then goes on the next month's invoice — the first
invoice the contract appears on. The early termination fee is outside
consumption tax (違約金 is not consideration for a supply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from billing.domain.billing_month import UsageMonth

#: ``adjustment`` lines appear only on corrected invoices, entered by ops.
LineKind = Literal["monthly_fee", "prorated_fee", "initial_fee", "termination_fee", "adjustment"]


class BillableTerms(Protocol):
    """What the money rules read of a contract (``ContractTermsForBilling`` or the
    contract copy billing keeps)."""

    @property
    def quantity(self) -> int: ...
    @property
    def monthly_fee(self) -> int: ...
    @property
    def initial_fee(self) -> int: ...
    @property
    def free_first_month(self) -> bool: ...
    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date | None: ...
    @property
    def early_termination_fee(self) -> int: ...


@dataclass(frozen=True)
class ContractTermsForBilling:
    """The price and dates of one contract, as ordering recorded them (R28)."""

    quantity: int
    monthly_fee: int
    initial_fee: int
    free_first_month: bool
    start_date: date
    end_date: date | None = None
    early_termination_fee: int = 0


@dataclass(frozen=True)
class Charge:
    """One line of an invoice."""

    kind: LineKind
    quantity: int
    unit_price: int
    amount: int
    taxable: bool
    period_start: date | None = None
    period_end: date | None = None


def prorate(monthly_fee: int, quantity: int, days_used: int, days_in_month: int) -> int:
    """日割り: the fee for ``days_used`` days of a ``days_in_month``-day month, rounded down."""
    if not 0 <= days_used <= days_in_month:
        raise ValueError("days used must lie within the month")
    return monthly_fee * quantity * days_used // days_in_month


def first_billable_month(terms: BillableTerms) -> UsageMonth:
    """The month of the contract's first invoice: its start month, or the next one when
    the start month is free (R23)."""
    start = UsageMonth.of(terms.start_date)
    return start.next() if terms.free_first_month else start


def covers(terms: BillableTerms, usage: UsageMonth) -> bool:
    """Whether the contract runs for at least one day of ``usage`` (an end date before
    the start date, which ordering never sends, runs no day at all)."""
    return terms.start_date <= usage.last_day and (
        terms.end_date is None or terms.end_date >= max(usage.first_day, terms.start_date)
    )


def charges_for(terms: BillableTerms, usage: UsageMonth) -> list[Charge]:
    """The lines one contract puts on the invoice of ``usage`` (empty when none)."""
    if not covers(terms, usage):
        return []
    first = max(terms.start_date, usage.first_day)
    last = min(terms.end_date, usage.last_day) if terms.end_date else usage.last_day
    lines: list[Charge] = []
    start_month_is_free = terms.free_first_month and UsageMonth.of(terms.start_date) == usage
    if not start_month_is_free:
        lines.append(_fee_line(terms, usage, first, last))
    if usage == first_billable_month(terms) and terms.initial_fee:
        lines.append(Charge("initial_fee", 1, terms.initial_fee, terms.initial_fee, taxable=True))
    ends_this_month = terms.end_date is not None and UsageMonth.of(terms.end_date) == usage
    if ends_this_month and terms.early_termination_fee:
        fee = terms.early_termination_fee
        lines.append(Charge("termination_fee", 1, fee, fee, taxable=False))
    return lines


def _fee_line(terms: BillableTerms, usage: UsageMonth, first: date, last: date) -> Charge:
    days_used = (last - first).days + 1
    if days_used == usage.days:
        amount = terms.monthly_fee * terms.quantity
        return Charge("monthly_fee", terms.quantity, terms.monthly_fee, amount, True, first, last)
    amount = prorate(terms.monthly_fee, terms.quantity, days_used, usage.days)
    return Charge("prorated_fee", terms.quantity, terms.monthly_fee, amount, True, first, last)
