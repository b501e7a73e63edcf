"""Properties of the business calendar (R17) over arbitrary dates and moments."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from jpcalendar import (
    MAX_MONTHS,
    add_business_days,
    business_days_between,
    effective_order_date,
    is_business_day,
    selectable_start_dates,
    subtract_business_days,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
) | st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2090, 12, 31),
    timezones=st.timezones(),
)
lead_times = st.integers(min_value=0, max_value=40)


@given(now=moments, lead_time=lead_times, months=st.integers(min_value=1, max_value=MAX_MONTHS))
def test_every_selectable_date_is_a_business_day_from_earliest_on(
    now: datetime, lead_time: int, months: int
) -> None:
    calendar = selectable_start_dates(now, lead_time, months)
    assert calendar.dates, "the earliest start itself is always selectable"
    assert calendar.dates[0] == calendar.earliest
    assert all(is_business_day(d) for d in calendar.dates)
    assert all(d >= calendar.earliest for d in calendar.dates)
    assert list(calendar.dates) == sorted(set(calendar.dates))
    assert is_business_day(calendar.effective_order_date)
    assert business_days_between(calendar.effective_order_date, calendar.earliest) == lead_time
    # No business day inside the window is left out.
    window_days = (calendar.latest - calendar.earliest).days + 1
    business = [
        calendar.earliest + timedelta(days=k)
        for k in range(window_days)
        if is_business_day(calendar.earliest + timedelta(days=k))
    ]
    assert tuple(business) == calendar.dates


@given(now=moments)
def test_effective_order_date_is_a_business_day_not_before_the_japan_date(now: datetime) -> None:
    order_date = effective_order_date(now)
    assert is_business_day(order_date)
    assert order_date >= now.astimezone(UTC).date() - timedelta(days=1)
    # Never more than the longest run of non-business days ahead (GW, year end).
    assert (order_date - now.astimezone(UTC).date()).days <= 12


@given(d=days, n=st.integers(min_value=1, max_value=60))
def test_add_business_days_lands_on_a_business_day_after_d(d: date, n: int) -> None:
    result = add_business_days(d, n)
    assert is_business_day(result)
    assert result > d
    assert business_days_between(d, result) == n


@given(d=days, n=st.integers(min_value=0, max_value=60))
def test_subtract_undoes_add_from_a_business_day(d: date, n: int) -> None:
    start = add_business_days(d, 0)
    assert subtract_business_days(add_business_days(start, n), n) == start
    assert is_business_day(subtract_business_days(d, n))
