"""Business-day arithmetic (R17) and the billing issue date (R23)."""

from datetime import date

import pytest

from jpcalendar import (
    add_business_days,
    billing_issue_date,
    business_days_between,
    first_business_day_on_or_after,
    is_business_day,
    is_year_end_break,
    iter_business_days,
    next_business_day,
    previous_business_day,
    subtract_business_days,
)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 2),
        date(2027, 1, 3),
    ],
)
def test_29_december_to_3_january_is_the_year_end_break(day: date) -> None:
    assert is_year_end_break(day)
    assert not is_business_day(day)


def test_year_end_break_bounds_are_business_days_on_weekdays() -> None:
    assert not is_year_end_break(date(2026, 12, 28))
    assert is_business_day(date(2026, 12, 28))  # Monday
    assert not is_year_end_break(date(2027, 1, 4))
    assert is_business_day(date(2027, 1, 4))  # Monday


def test_weekends_are_not_business_days() -> None:
    assert not is_business_day(date(2026, 6, 6))  # Saturday
    assert not is_business_day(date(2026, 6, 7))  # Sunday
    assert is_business_day(date(2026, 6, 8))  # Monday


def test_golden_week_2026_business_days() -> None:
    # 4/29 Showa Day (Wed); 5/3 Sun, 5/4, 5/5, 5/6 substitute for 5/3.
    assert list(iter_business_days(date(2026, 4, 27), date(2026, 5, 8))) == [
        date(2026, 4, 27),
        date(2026, 4, 28),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 5, 7),
        date(2026, 5, 8),
    ]


def test_golden_week_2027_business_days() -> None:
    # 4/29 Thu Showa Day; 5/3 Mon, 5/4 Tue, 5/5 Wed.
    assert list(iter_business_days(date(2027, 4, 28), date(2027, 5, 7))) == [
        date(2027, 4, 28),
        date(2027, 4, 30),
        date(2027, 5, 6),
        date(2027, 5, 7),
    ]


def test_next_business_day_skips_silver_week_2026_with_its_citizens_holiday() -> None:
    # 9/19 Sat … 9/21 Respect for the Aged Day, 9/22 citizens' holiday, 9/23 Equinox.
    assert next_business_day(date(2026, 9, 18)) == date(2026, 9, 24)


def test_next_business_day_inclusive_keeps_a_business_day() -> None:
    assert next_business_day(date(2026, 9, 18), inclusive=True) == date(2026, 9, 18)
    assert first_business_day_on_or_after(date(2026, 9, 19)) == date(2026, 9, 24)


def test_previous_business_day_skips_back_over_the_year_end_break() -> None:
    assert previous_business_day(date(2027, 1, 4)) == date(2026, 12, 28)
    assert previous_business_day(date(2027, 1, 4), inclusive=True) == date(2027, 1, 4)


def test_add_business_days_crosses_the_year_end_break() -> None:
    assert add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)
    assert add_business_days(date(2026, 12, 28), 5) == date(2027, 1, 8)
    # 2027-01-11 is Coming of Age Day.
    assert add_business_days(date(2026, 12, 28), 6) == date(2027, 1, 12)


def test_add_business_days_from_a_non_business_day_counts_from_the_next_one() -> None:
    saturday = date(2026, 5, 2)
    assert add_business_days(saturday, 0) == date(2026, 5, 7)
    assert add_business_days(saturday, 1) == date(2026, 5, 7)
    assert add_business_days(saturday, 2) == date(2026, 5, 8)


def test_add_business_days_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError):
        add_business_days(date(2026, 5, 1), -1)
    with pytest.raises(ValueError):
        subtract_business_days(date(2026, 5, 1), -1)


def test_subtract_business_days_for_a_notice_before_the_planned_start() -> None:
    # Three business days before Thursday 2026-05-07 reach back over Golden Week.
    assert subtract_business_days(date(2026, 5, 7), 1) == date(2026, 5, 1)
    assert subtract_business_days(date(2026, 5, 7), 3) == date(2026, 4, 28)
    assert subtract_business_days(date(2026, 5, 4), 0) == date(2026, 5, 1)


def test_business_days_between_counts_after_the_first_up_to_the_second() -> None:
    assert business_days_between(date(2026, 12, 28), date(2027, 1, 4)) == 1
    assert business_days_between(date(2027, 1, 4), date(2026, 12, 28)) == -1
    assert business_days_between(date(2026, 4, 30), date(2026, 4, 30)) == 0
    assert business_days_between(date(2026, 4, 28), date(2026, 5, 7)) == 3


@pytest.mark.parametrize(
    ("year", "month", "issued"),
    [
        (2026, 1, date(2026, 1, 15)),  # Thursday
        (2026, 3, date(2026, 3, 16)),  # the 15th is a Sunday
        (2025, 9, date(2025, 9, 16)),  # the 15th is Respect for the Aged Day
        (2028, 7, date(2028, 7, 18)),  # Saturday, Sunday, then Marine Day
    ],
)
def test_invoices_are_issued_on_the_15th_or_the_next_business_day(
    year: int, month: int, issued: date
) -> None:
    assert billing_issue_date(year, month) == issued
