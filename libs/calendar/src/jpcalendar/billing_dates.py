"""Calendar dates billing needs (R23)."""

from __future__ import annotations

from datetime import date

from jpcalendar.business_days import first_business_day_on_or_after

_ISSUE_DAY = 15


def billing_issue_date(year: int, month: int) -> date:
    """The invoice issue date of a billing month: the 15th, or the next business day
    when the 15th is not one ("issued around the 15th", R23)."""
    return first_business_day_on_or_after(date(year, month, _ISSUE_DAY))
