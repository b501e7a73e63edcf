"""Business days (R17): not Saturday or Sunday, not a national holiday, not 29 Dec–3 Jan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from jpcalendar.national_holidays import is_national_holiday

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


def is_year_end_break(d: date) -> bool:
    """True from 29 December to 3 January inclusive (年末年始)."""
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def is_business_day(d: date) -> bool:
    """True when ``d`` is a weekday that is neither a national holiday nor in the year-end break.

    Raises ``ValueError`` for a weekday outside the holiday source's years
    (``jpcalendar.SUPPORTED_YEARS``).
    """
    if d.weekday() >= _SATURDAY or is_year_end_break(d):
        return False
    return not is_national_holiday(d)


def next_business_day(d: date, *, inclusive: bool = False) -> date:
    """The first business day after ``d`` (on or after ``d`` when ``inclusive``)."""
    candidate = d if inclusive else d + _ONE_DAY
    while not is_business_day(candidate):
        candidate += _ONE_DAY
    return candidate


def first_business_day_on_or_after(d: date) -> date:
    """``d`` itself when it is a business day, otherwise the next business day."""
    return next_business_day(d, inclusive=True)


def previous_business_day(d: date, *, inclusive: bool = False) -> date:
    """The last business day before ``d`` (on or before ``d`` when ``inclusive``)."""
    candidate = d if inclusive else d - _ONE_DAY
    while not is_business_day(candidate):
        candidate -= _ONE_DAY
    return candidate


def add_business_days(d: date, n: int) -> date:
    """The date ``n`` business days after ``d``.

    ``d`` itself need not be a business day: from a Saturday, one business day
    later is the Monday (if it is one). ``n == 0`` gives the first business day
    on or after ``d``, so the result is always a business day. ``n`` must be ≥ 0.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}; use subtract_business_days")
    if n == 0:
        return first_business_day_on_or_after(d)
    result = d
    for _ in range(n):
        result = next_business_day(result)
    return result


def subtract_business_days(d: date, n: int) -> date:
    """The date ``n`` business days before ``d`` (e.g. "3 business days before the start").

    The mirror of ``add_business_days``: ``n == 0`` gives the last business day
    on or before ``d``; the result is always a business day. ``n`` must be ≥ 0.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}; use add_business_days")
    if n == 0:
        return previous_business_day(d, inclusive=True)
    result = d
    for _ in range(n):
        result = previous_business_day(result)
    return result


def business_days_between(a: date, b: date) -> int:
    """How many business days lie after ``a`` up to and including ``b``.

    The inverse of ``add_business_days`` for a business day ``a``:
    ``business_days_between(a, add_business_days(a, n)) == n``. Negative when
    ``b`` is before ``a``; zero when they are equal.
    """
    if b < a:
        return -business_days_between(b, a)
    return sum(1 for _ in iter_business_days(a + _ONE_DAY, b))


def iter_business_days(start: date, end: date) -> Iterator[date]:
    """Every business day from ``start`` to ``end``, both inclusive, in order."""
    day = start
    while day <= end:
        if is_business_day(day):
            yield day
        day += _ONE_DAY
