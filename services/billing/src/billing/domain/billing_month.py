"""Usage months and the dates an invoice carries (R23), pure functions."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from jpcalendar import billing_issue_date, first_business_day_on_or_after


@dataclass(frozen=True, order=True)
class UsageMonth:
    """A calendar month whose use is billed on the following month's invoice."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> UsageMonth:
        """``"YYYY-MM"`` → the month; ``ValueError`` for anything else."""
        year_text, sep, month_text = text.partition("-")
        if not sep or len(year_text) != 4 or len(month_text) != 2:
            raise ValueError("a month is written YYYY-MM")
        month = cls(int(year_text), int(month_text))
        if not 1 <= month.month <= 12:
            raise ValueError("a month is between 01 and 12")
        return month

    @classmethod
    def of(cls, day: date) -> UsageMonth:
        """The month ``day`` falls in."""
        return cls(day.year, day.month)

    @cached_property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    # Cached: the billing run asks a month for its bounds several times per contract.
    @cached_property
    def days(self) -> int:
        """Days in the month (29 in a leap February)."""
        return calendar.monthrange(self.year, self.month)[1]

    @cached_property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    def next(self) -> UsageMonth:
        return UsageMonth(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> UsageMonth:
        return UsageMonth(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def scheduled_issue_date(usage: UsageMonth) -> date:
    """When the invoice of ``usage`` is issued: around the 15th of the next month (R23)."""
    following = usage.next()
    return billing_issue_date(following.year, following.month)


def issue_date_for(usage: UsageMonth, today: date) -> date:
    """The invoice date of a run made on ``today``: the scheduled date, or ``today`` when a
    missed month is caught up late (an invoice is dated the day it is issued)."""
    return max(scheduled_issue_date(usage), today)


def invoice_due_date(issue_date: date) -> date:
    """Invoice payment is due at the end of the month the invoice is issued in."""
    return UsageMonth.of(issue_date).last_day


def transfer_date(issue_date: date, transfer_day: int) -> date:
    """The account-transfer debit date: ``transfer_day`` of the issue month (the next
    business day when it is not one), never before the invoice date."""
    month = UsageMonth.of(issue_date)
    debit = first_business_day_on_or_after(
        date(month.year, month.month, min(transfer_day, month.days))
    )
    return max(debit, issue_date)


def due_date_of(payment_method: str, issue_date: date, transfer_day: int) -> date:
    """When an invoice issued on ``issue_date`` is due: its debit date for account
    transfer, else the end of the issue month."""
    if payment_method == "account_transfer":
        return transfer_date(issue_date, transfer_day)
    return invoice_due_date(issue_date)
