"""National holidays the calendar must know (R17), pinned on the dates that trip calendars.

Each case was cross-checked against `jpholiday` when choosing the holiday
source (see ``jpcalendar.national_holidays``).
"""

from datetime import date

import pytest

from jpcalendar import SUPPORTED_YEARS, holiday_name, is_business_day, is_national_holiday


@pytest.mark.parametrize(
    ("day", "name"),
    [
        # The Tokyo Olympics moved Marine, Sports and Mountain Day in 2020 and again in 2021.
        (date(2020, 7, 23), "海の日"),
        (date(2020, 7, 24), "スポーツの日"),
        (date(2020, 8, 10), "山の日"),
        (date(2021, 7, 22), "海の日"),
        (date(2021, 7, 23), "スポーツの日"),
        (date(2021, 8, 8), "山の日"),
        (date(2021, 8, 9), "振替休日"),
        # The Emperor's Birthday moved from 23 December to 23 February in 2020.
        (date(2020, 2, 23), "天皇誕生日"),
        (date(2020, 2, 24), "振替休日"),
        # Substitute holidays (振替休日) for a holiday on a Sunday.
        (date(2025, 11, 24), "振替休日"),
        (date(2026, 5, 6), "振替休日"),
        # Citizens' holidays (国民の休日) squeezed between two holidays.
        (date(2019, 4, 30), "国民の休日"),
        (date(2026, 9, 22), "国民の休日"),
        (date(2032, 9, 21), "国民の休日"),
        (date(2030, 1, 14), "成人の日"),
    ],
)
def test_national_holiday_is_known_by_its_japanese_name(day: date, name: str) -> None:
    assert holiday_name(day) == name
    assert is_national_holiday(day)
    assert not is_business_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2020, 7, 20),  # Marine Day's usual third Monday, moved for the Olympics
        date(2020, 10, 12),  # Sports Day's usual second Monday, moved
        date(2021, 7, 19),
        date(2021, 8, 11),
        date(2021, 10, 11),
        date(2019, 12, 23),  # no Emperor's Birthday in December from 2019 on
        date(2025, 12, 23),
        date(2026, 9, 24),
    ],
)
def test_days_that_were_moved_away_from_are_business_days(day: date) -> None:
    assert holiday_name(day) is None
    assert is_business_day(day)


def test_holiday_names_are_available_in_english() -> None:
    assert holiday_name(date(2026, 9, 22), language="en") == "National Holiday"
    assert holiday_name(date(2026, 5, 6), language="en") == "Substitute Holiday"


def test_every_year_from_2020_to_2030_has_sixteen_or_more_holidays() -> None:
    # 16 statutory holidays a year, plus substitute and citizens' holidays.
    for year in range(2020, 2031):
        count = sum(
            1
            for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
            if is_national_holiday(date.fromordinal(ordinal))
        )
        assert count >= 16, year


def test_a_year_outside_the_holiday_source_is_refused_not_treated_as_all_workdays() -> None:
    beyond = date(SUPPORTED_YEARS.stop, 3, 1)
    with pytest.raises(ValueError, match="covers"):
        is_business_day(beyond)
