"""When an order counts as placed, and which start dates it may choose (R17)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from jpcalendar.business_days import (
    add_business_days,
    is_business_day,
    iter_business_days,
    next_business_day,
)

#: Business dates are Japan dates, whatever the caller's clock zone.
JST = ZoneInfo("Asia/Tokyo")

#: An order at or after this Japan time counts as placed on the next business day.
DEFAULT_CUTOFF = time(13, 0)

#: The order calendar's default and largest window, in months.
DEFAULT_MONTHS = 3
MAX_MONTHS = 6


@dataclass(frozen=True, slots=True)
class StartDates:
    """The order calendar of one service at one moment.

    ``dates`` holds every business day from ``earliest`` through the same day of
    the month ``months`` later (the month's last day when it has no such day,
    e.g. 31 January + 1 month → 28/29 February), ascending; ``dates[0] ==
    earliest``. ``cutoff`` is the cut-off time used, as ``"HH:MM"``.
    """

    earliest: date
    dates: tuple[date, ...]
    effective_order_date: date
    cutoff: str

    @property
    def latest(self) -> date:
        """The last selectable start date."""
        return self.dates[-1]

    def offers(self, d: date) -> bool:
        """True when ``d`` is one of the selectable start dates."""
        return self.earliest <= d <= self.latest and is_business_day(d)


def to_jst(now: datetime) -> datetime:
    """``now`` in Japan time; refuses a naive datetime, whose instant is unknown."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC))")
    return now.astimezone(JST)


def effective_order_date(now: datetime, *, cutoff: time = DEFAULT_CUTOFF) -> date:
    """The business day an order placed at ``now`` counts as placed on.

    ``now`` (timezone-aware, any zone) is read in Japan time: on a business
    day before ``cutoff`` it is that day; at or after the cut-off, or on a
    non-business day, it is the next business day.
    """
    if cutoff.tzinfo is not None:
        raise ValueError("cutoff is a Japan wall-clock time and must be naive")
    local = to_jst(now)
    today = local.date()
    if is_business_day(today) and local.time() < cutoff:
        return today
    return next_business_day(today)


def earliest_start_date(
    now: datetime, lead_time_business_days: int, *, cutoff: time = DEFAULT_CUTOFF
) -> date:
    """The earliest start for an order placed at ``now``: the effective order date
    plus the service's lead time in business days."""
    return add_business_days(effective_order_date(now, cutoff=cutoff), lead_time_business_days)


def selectable_start_dates(
    now: datetime,
    lead_time_business_days: int,
    months: int = DEFAULT_MONTHS,
    *,
    cutoff: time = DEFAULT_CUTOFF,
) -> StartDates:
    """The order calendar for an order placed at ``now`` (see ``StartDates``).

    ``months`` must be 1–``MAX_MONTHS``; ``lead_time_business_days`` ≥ 0.
    """
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}, got {months}")
    if lead_time_business_days < 0:
        raise ValueError(f"lead time must be >= 0, got {lead_time_business_days}")
    order_date = effective_order_date(now, cutoff=cutoff)
    earliest = add_business_days(order_date, lead_time_business_days)
    window_end = add_months(earliest, months)
    return StartDates(
        earliest=earliest,
        dates=tuple(iter_business_days(earliest, window_end)),
        effective_order_date=order_date,
        cutoff=cutoff.strftime("%H:%M"),
    )


def add_months(d: date, months: int) -> date:
    """The same day of the month ``months`` later, clamped to that month's last day."""
    month_index = d.month - 1 + months
    year, month = d.year + month_index // 12, month_index % 12 + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))
