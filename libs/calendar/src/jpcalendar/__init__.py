"""jpcalendar: the Japanese business calendar of bizmall (R17), pure functions, no I/O.

Business days exclude Saturdays, Sundays, national holidays (substitute
振替休日 and citizens' 国民の休日 holidays included) and the year-end break,
29 December–3 January. An order at or after 13:00 Japan time, or on a
non-business day, counts as placed on the next business day.

Holidays come from the `holidays` package; why it and not `jpholiday` is noted
in ``jpcalendar.national_holidays``.

    >>> from datetime import date
    >>> add_business_days(date(2026, 12, 28), 1)
    datetime.date(2027, 1, 4)
"""

from jpcalendar.billing_dates import billing_issue_date
from jpcalendar.business_days import (
    add_business_days,
    business_days_between,
    first_business_day_on_or_after,
    is_business_day,
    is_year_end_break,
    iter_business_days,
    next_business_day,
    previous_business_day,
    subtract_business_days,
)
from jpcalendar.national_holidays import (
    SUPPORTED_YEARS,
    Language,
    holiday_name,
    is_national_holiday,
)
from jpcalendar.order_dates import (
    DEFAULT_CUTOFF,
    DEFAULT_MONTHS,
    JST,
    MAX_MONTHS,
    StartDates,
    add_months,
    earliest_start_date,
    effective_order_date,
    selectable_start_dates,
    to_jst,
)

__all__ = [
    "DEFAULT_CUTOFF",
    "DEFAULT_MONTHS",
    "JST",
    "MAX_MONTHS",
    "SUPPORTED_YEARS",
    "Language",
    "StartDates",
    "add_business_days",
    "add_months",
    "billing_issue_date",
    "business_days_between",
    "earliest_start_date",
    "effective_order_date",
    "first_business_day_on_or_after",
    "holiday_name",
    "is_business_day",
    "is_national_holiday",
    "is_year_end_break",
    "iter_business_days",
    "next_business_day",
    "previous_business_day",
    "selectable_start_dates",
    "subtract_business_days",
    "to_jst",
]
