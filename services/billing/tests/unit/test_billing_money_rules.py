"""The money rules of an invoice (R20, R23, R25): proration, free first month, initial
fee, termination fee, tax once per invoice, and the dates an invoice carries."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.billing_month import (
    UsageMonth,
    invoice_due_date,
    issue_date_for,
    scheduled_issue_date,
    transfer_date,
)
from billing.domain.charges import ContractTermsForBilling, charges_for, prorate
from billing.domain.invoice_number import invoice_number
from billing.domain.invoice_totals import InvoiceTotals, consumption_tax


def terms(**overrides: object) -> ContractTermsForBilling:
    values: dict[str, object] = {
        "quantity": 1,
        "monthly_fee": 3000,
        "initial_fee": 5000,
        "free_first_month": False,
        "start_date": date(2026, 4, 1),
    }
    values.update(overrides)
    return ContractTermsForBilling(**values)  # type: ignore[arg-type]


def test_r23_start_month_is_billed_by_days_used_rounded_down() -> None:
    # 3000 × 2 × 16 / 30 = 3200; 1000 × 1 × 16 / 30 = 533.33 → 533
    lines = charges_for(terms(quantity=2, start_date=date(2026, 4, 15)), UsageMonth(2026, 4))
    assert [(c.kind, c.amount) for c in lines] == [("prorated_fee", 3200), ("initial_fee", 5000)]
    assert prorate(1000, 1, 16, 30) == 533


def test_r23_start_on_the_last_day_of_a_31_day_month_bills_one_day() -> None:
    lines = charges_for(terms(start_date=date(2026, 1, 31), initial_fee=0), UsageMonth(2026, 1))
    assert [(c.kind, c.amount) for c in lines] == [("prorated_fee", 3000 * 1 // 31)]
    assert lines[0].period_start == lines[0].period_end == date(2026, 1, 31)


def test_r23_leap_february_has_29_days() -> None:
    leap = charges_for(terms(start_date=date(2028, 2, 15), initial_fee=0), UsageMonth(2028, 2))
    plain = charges_for(terms(start_date=date(2027, 2, 15), initial_fee=0), UsageMonth(2027, 2))
    assert leap[0].amount == 3000 * 15 // 29 == 1551
    assert plain[0].amount == 3000 * 14 // 28 == 1500


def test_r23_a_whole_month_is_the_monthly_fee_times_quantity() -> None:
    lines = charges_for(terms(quantity=3), UsageMonth(2026, 5))
    assert [(c.kind, c.amount, c.quantity) for c in lines] == [("monthly_fee", 9000, 3)]


def test_r23_start_on_the_first_bills_the_full_month_and_the_initial_fee() -> None:
    lines = charges_for(terms(), UsageMonth(2026, 4))
    assert [(c.kind, c.amount) for c in lines] == [("monthly_fee", 3000), ("initial_fee", 5000)]


def test_r23_free_first_month_bills_nothing_and_moves_the_initial_fee() -> None:
    free = terms(free_first_month=True, start_date=date(2026, 4, 10))
    assert charges_for(free, UsageMonth(2026, 4)) == []
    may = charges_for(free, UsageMonth(2026, 5))
    assert [(c.kind, c.amount) for c in may] == [("monthly_fee", 3000), ("initial_fee", 5000)]
    assert [c.kind for c in charges_for(free, UsageMonth(2026, 6))] == ["monthly_fee"]


def test_r20_cancellation_month_by_days_used_plus_non_taxable_fee() -> None:
    cancelled = terms(end_date=date(2026, 6, 10), early_termination_fee=27000)
    lines = charges_for(cancelled, UsageMonth(2026, 6))
    assert [(c.kind, c.amount, c.taxable) for c in lines] == [
        ("prorated_fee", 3000 * 10 // 30, True),
        ("termination_fee", 27000, False),
    ]
    assert charges_for(cancelled, UsageMonth(2026, 7)) == []


def test_r20_ending_on_the_month_end_bills_the_whole_month() -> None:
    lines = charges_for(
        terms(start_date=date(2025, 4, 1), end_date=date(2026, 2, 28)), UsageMonth(2026, 2)
    )
    assert [(c.kind, c.amount) for c in lines] == [("monthly_fee", 3000)]


def test_r20_start_and_end_in_the_same_month_counts_the_days_between() -> None:
    lines = charges_for(
        terms(start_date=date(2026, 4, 11), end_date=date(2026, 4, 20), initial_fee=0),
        UsageMonth(2026, 4),
    )
    assert [(c.kind, c.amount) for c in lines] == [("prorated_fee", 1000)]


def test_r25_tax_is_computed_once_on_the_invoice_and_rounded_down() -> None:
    lines = [
        *charges_for(terms(monthly_fee=1005, initial_fee=0), UsageMonth(2026, 5)),
        *charges_for(terms(monthly_fee=1005, initial_fee=0), UsageMonth(2026, 5)),
    ]
    totals = InvoiceTotals.of(lines)
    # Per line: floor(100.5) × 2 = 200; once per invoice: floor(201.0) = 201.
    assert totals.tax == 201
    assert consumption_tax(999) == 99


def test_r25_termination_fee_is_outside_tax() -> None:
    lines = charges_for(
        terms(end_date=date(2026, 5, 31), early_termination_fee=10000, initial_fee=0),
        UsageMonth(2026, 5),
    )
    totals = InvoiceTotals.of(lines)
    assert (totals.taxable_subtotal, totals.non_taxable_subtotal, totals.tax) == (3000, 10000, 300)
    assert totals.total == 13300


def test_r23_issue_date_is_the_15th_or_the_next_business_day() -> None:
    # 2026-03-15 is a Sunday → Monday the 16th; 2026-04-15 is a Wednesday.
    assert scheduled_issue_date(UsageMonth(2026, 2)) == date(2026, 3, 16)
    assert scheduled_issue_date(UsageMonth(2026, 3)) == date(2026, 4, 15)
    # December's invoice is issued in January of the next year.
    assert scheduled_issue_date(UsageMonth(2026, 12)).year == 2027


def test_r23_a_missed_month_caught_up_late_is_dated_the_day_it_is_issued() -> None:
    assert issue_date_for(UsageMonth(2026, 3), date(2026, 4, 1)) == date(2026, 4, 15)
    assert issue_date_for(UsageMonth(2026, 3), date(2026, 6, 3)) == date(2026, 6, 3)


def test_due_dates_end_of_issue_month_and_transfer_day_on_a_business_day() -> None:
    assert invoice_due_date(date(2028, 2, 15)) == date(2028, 2, 29)
    # 2026-06-27 is a Saturday → Monday the 29th.
    assert transfer_date(date(2026, 6, 15), 27) == date(2026, 6, 29)


def test_usage_month_parsing_and_steps() -> None:
    assert UsageMonth.parse("2026-12").next() == UsageMonth(2027, 1)
    assert UsageMonth(2027, 1).previous() == UsageMonth(2026, 12)
    for bad in ("2026-13", "2026-1", "26-01", "2026/01"):
        with pytest.raises(ValueError):
            UsageMonth.parse(bad)


def test_invoice_numbers_are_per_year_sequences() -> None:
    assert invoice_number(2026, 42) == "2026-000042"
    with pytest.raises(ValueError):
        invoice_number(2026, 0)


_contract = st.builds(
    ContractTermsForBilling,
    quantity=st.integers(1, 50),
    monthly_fee=st.integers(0, 500_000),
    initial_fee=st.integers(0, 100_000),
    free_first_month=st.booleans(),
    start_date=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    end_date=st.none() | st.dates(date(2024, 1, 1), date(2031, 12, 31)),
    early_termination_fee=st.integers(0, 1_000_000),
)


@given(
    contracts=st.lists(_contract, min_size=1, max_size=6),
    month=st.builds(UsageMonth, st.integers(2024, 2031), st.integers(1, 12)),
)
def test_r25_property_total_is_items_plus_tax(
    contracts: list[ContractTermsForBilling], month: UsageMonth
) -> None:
    lines = [line for c in contracts for line in charges_for(c, month)]
    totals = InvoiceTotals.of(lines)
    assert totals.total == sum(c.amount for c in lines) + totals.tax
    assert totals.tax == sum(c.amount for c in lines if c.taxable) * 10 // 100
    assert all(c.amount >= 0 for c in lines)


@given(
    fee=st.integers(0, 1_000_000),
    quantity=st.integers(1, 100),
    start=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
)
def test_r23_property_proration_never_exceeds_the_full_month(
    fee: int, quantity: int, start: date
) -> None:
    month = UsageMonth.of(start)
    days = (month.last_day - start).days + 1
    prorated = prorate(fee, quantity, days, month.days)
    assert prorated <= fee * quantity
    assert prorated == fee * quantity * days // month.days
