"""The early termination fee of a mid-term cancellation (R20), exactly as the guide states it.

The minimum term runs from the start date for ``minimum_term_months`` months
(15 April + 12 months: the term's last day is 14 April next year). Cancelling
with an end date before that last day costs, by the contract's recorded rule:
nothing; a fixed amount; or the monthly fee × quantity for each calendar month
of the term left after the end month — the month in which the term ends
counts as a whole month even when the term ends part-way through it.
"""

from __future__ import annotations

from datetime import date, timedelta

from bizmall_events import ContractTerms, FixedTerminationFee, RemainingMonthsTerminationFee
from jpcalendar import add_months


def minimum_term_last_day(start_date: date, minimum_term_months: int) -> date | None:
    """The last day of the minimum term, or None when the service has none."""
    if minimum_term_months <= 0:
        return None
    return add_months(start_date, minimum_term_months) - timedelta(days=1)


def months_left_after(end_date: date, term_last_day: date) -> int:
    """Calendar months of the term after the end date's month (a started month is whole)."""
    months = (term_last_day.year * 12 + term_last_day.month) - (end_date.year * 12 + end_date.month)
    return max(months, 0)


def early_termination_fee(
    terms: ContractTerms, *, start_date: date, end_date: date, quantity: int
) -> int:
    """The fee in yen for ending the contract on ``end_date`` (0 once the minimum term is over)."""
    last_day = minimum_term_last_day(start_date, terms.minimum_term_months)
    if last_day is None or end_date >= last_day:
        return 0
    rule = terms.early_termination
    if isinstance(rule, FixedTerminationFee):
        return rule.amount
    if isinstance(rule, RemainingMonthsTerminationFee):
        return terms.monthly_fee * quantity * months_left_after(end_date, last_day)
    return 0
