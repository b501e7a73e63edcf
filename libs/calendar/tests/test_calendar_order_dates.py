"""The 13:00 cut-off and the order calendar (R17)."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from jpcalendar import (
    JST,
    MAX_MONTHS,
    StartDates,
    add_months,
    earliest_start_date,
    effective_order_date,
    selectable_start_dates,
)


def jst(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=JST)


def test_order_at_12_59_on_28_december_counts_that_day() -> None:
    assert effective_order_date(jst(2026, 12, 28, 12, 59)) == date(2026, 12, 28)
    assert effective_order_date(jst(2026, 12, 28, 12, 59, 59, 999999)) == date(2026, 12, 28)


def test_order_at_13_00_on_28_december_counts_after_the_year_end_break() -> None:
    assert effective_order_date(jst(2026, 12, 28, 13, 0)) == date(2027, 1, 4)


def test_order_after_13h_on_friday_counts_as_next_monday() -> None:
    assert effective_order_date(jst(2026, 1, 16, 14, 30)) == date(2026, 1, 19)


def test_order_after_13h_on_friday_before_a_holiday_monday_counts_as_tuesday() -> None:
    # 2026-07-20 is Marine Day.
    assert effective_order_date(jst(2026, 7, 17, 13, 0)) == date(2026, 7, 21)


def test_order_after_13h_before_a_substitute_holiday() -> None:
    # 2025-11-24 is the substitute holiday for Labour Thanksgiving Day on a Sunday.
    assert effective_order_date(jst(2025, 11, 21, 16, 0)) == date(2025, 11, 25)


def test_order_on_a_citizens_holiday_counts_as_the_next_business_day() -> None:
    assert effective_order_date(jst(2026, 9, 22, 9, 0)) == date(2026, 9, 24)


def test_order_in_golden_week_counts_after_it() -> None:
    assert effective_order_date(jst(2026, 5, 1, 13, 0)) == date(2026, 5, 7)
    assert effective_order_date(jst(2027, 5, 3, 10, 0)) == date(2027, 5, 6)


def test_order_on_a_weekend_morning_counts_as_the_next_business_day() -> None:
    assert effective_order_date(jst(2026, 6, 6, 9, 0)) == date(2026, 6, 8)


def test_utc_timestamp_already_the_next_day_in_japan_uses_the_japan_date() -> None:
    # 16:00 UTC on Thursday 5 March is 01:00 on Friday 6 March in Japan.
    assert effective_order_date(datetime(2026, 3, 5, 16, 0, tzinfo=UTC)) == date(2026, 3, 6)


def test_cut_off_is_read_in_japan_time_whatever_the_callers_zone() -> None:
    # 03:59 UTC = 12:59 JST, 04:00 UTC = 13:00 JST on Friday 6 March 2026.
    assert effective_order_date(datetime(2026, 3, 6, 3, 59, tzinfo=UTC)) == date(2026, 3, 6)
    assert effective_order_date(datetime(2026, 3, 6, 4, 0, tzinfo=UTC)) == date(2026, 3, 9)
    new_york = datetime(2026, 3, 5, 23, 0, tzinfo=ZoneInfo("America/New_York"))
    assert effective_order_date(new_york) == date(2026, 3, 9)  # 13:00 JST on 6 March
    plus_nine = datetime(2026, 3, 6, 12, 0, tzinfo=timezone(timedelta(hours=9)))
    assert effective_order_date(plus_nine) == date(2026, 3, 6)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        effective_order_date(datetime(2026, 3, 6, 12, 0))


def test_a_custom_cut_off_applies() -> None:
    assert effective_order_date(jst(2026, 3, 6, 15, 0), cutoff=time(17, 0)) == date(2026, 3, 6)
    assert effective_order_date(jst(2026, 3, 6, 12, 0), cutoff=time(12, 0)) == date(2026, 3, 9)


def test_earliest_start_adds_the_lead_time_to_the_effective_order_date() -> None:
    assert earliest_start_date(jst(2026, 12, 28, 12, 59), 0) == date(2026, 12, 28)
    assert earliest_start_date(jst(2026, 12, 28, 12, 59), 1) == date(2027, 1, 4)
    assert earliest_start_date(jst(2026, 12, 28, 13, 0), 1) == date(2027, 1, 5)
    assert earliest_start_date(jst(2026, 12, 28, 13, 0), 5) == date(2027, 1, 12)


def test_start_dates_at_13h_on_28_december() -> None:
    calendar = selectable_start_dates(jst(2026, 12, 28, 13, 0), 5, 1)
    assert calendar.effective_order_date == date(2027, 1, 4)
    assert calendar.earliest == date(2027, 1, 12)
    assert calendar.cutoff == "13:00"
    assert calendar.dates[0] == date(2027, 1, 12)
    # The window ends on 12 February; 11 February is National Foundation Day.
    assert calendar.dates[-3:] == (date(2027, 2, 9), date(2027, 2, 10), date(2027, 2, 12))
    assert calendar.latest == date(2027, 2, 12)


def test_start_dates_skip_golden_week() -> None:
    calendar = selectable_start_dates(jst(2026, 4, 24, 10, 0), 3, 1)
    assert calendar.earliest == date(2026, 4, 30)
    assert calendar.dates[:3] == (date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 7))


def test_start_dates_window_ends_the_same_day_n_months_later_clamped_to_month_end() -> None:
    calendar = selectable_start_dates(jst(2027, 1, 29, 9, 0), 0, 1)  # Friday
    assert calendar.earliest == date(2027, 1, 29)
    assert calendar.latest == date(2027, 2, 26)  # 2027-02-28 is a Sunday
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_start_dates_offers_only_its_dates() -> None:
    calendar = selectable_start_dates(jst(2026, 4, 24, 10, 0), 3, 1)
    assert calendar.offers(date(2026, 5, 7))
    assert not calendar.offers(date(2026, 5, 6))  # substitute holiday
    assert not calendar.offers(date(2026, 4, 28))  # before the earliest
    assert not calendar.offers(calendar.latest + timedelta(days=1))


def test_default_is_three_months() -> None:
    calendar = selectable_start_dates(jst(2026, 6, 1, 9, 0), 0)
    assert calendar.latest == date(2026, 9, 1)


@pytest.mark.parametrize("months", [0, -1, MAX_MONTHS + 1])
def test_months_outside_one_to_six_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="months"):
        selectable_start_dates(jst(2026, 6, 1, 9, 0), 3, months)


def test_negative_lead_time_is_refused() -> None:
    with pytest.raises(ValueError, match="lead time"):
        selectable_start_dates(jst(2026, 6, 1, 9, 0), -1)


def test_start_dates_is_frozen() -> None:
    calendar = selectable_start_dates(jst(2026, 6, 1, 9, 0), 0, 1)
    assert isinstance(calendar, StartDates)
    with pytest.raises(AttributeError):
        calendar.earliest = date(2026, 6, 2)  # type: ignore[misc]
