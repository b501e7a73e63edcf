"""R20: the early termination fee rule, exactly — none, fixed, or remaining months."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bizmall_events import ContractTerms, FixedTerminationFee
from ordering.domain.termination import (
    early_termination_fee,
    minimum_term_last_day,
    months_left_after,
)


def terms(
    rule: dict[str, object], minimum_term_months: int = 12, monthly_fee: int = 3000
) -> ContractTerms:
    return ContractTerms.model_validate(
        {
            "service_version": 1,
            "plan_version_id": uuid.uuid4(),
            "monthly_fee": monthly_fee,
            "initial_fee": 0,
            "free_first_month": False,
            "allows_account_transfer": True,
            "cancellable_on_site": True,
            "early_termination": rule,
            "minimum_term_months": minimum_term_months,
        }
    )


def test_r20_remaining_months_counts_months_after_the_end_month() -> None:
    # Term 1 April 2026 – 31 March 2027; ending in September leaves October–March: 6 months.
    fee = early_termination_fee(
        terms({"kind": "remaining_months"}),
        start_date=date(2026, 4, 1),
        end_date=date(2026, 9, 30),
        quantity=2,
    )
    assert fee == 3000 * 2 * 6


def test_r20_a_started_month_of_the_term_counts_as_whole() -> None:
    # Term 15 April 2026 – 14 April 2027: April 2027 is started, so October–April: 7 months.
    fee = early_termination_fee(
        terms({"kind": "remaining_months"}),
        start_date=date(2026, 4, 15),
        end_date=date(2026, 9, 10),
        quantity=1,
    )
    assert fee == 3000 * 7


def test_r20_ending_in_the_terms_last_month_costs_nothing_more() -> None:
    fee = early_termination_fee(
        terms({"kind": "remaining_months"}),
        start_date=date(2026, 4, 15),
        end_date=date(2027, 4, 1),
        quantity=3,
    )
    assert fee == 0


def test_r20_fixed_fee_only_before_the_minimum_term_ends() -> None:
    rule = {"kind": "fixed", "amount": 20000}
    within = early_termination_fee(
        terms(rule), start_date=date(2026, 4, 1), end_date=date(2026, 12, 31), quantity=5
    )
    after = early_termination_fee(
        terms(rule), start_date=date(2026, 4, 1), end_date=date(2027, 3, 31), quantity=5
    )
    assert (within, after) == (20000, 0)


def test_r20_no_fee_rule_and_no_minimum_term_cost_nothing() -> None:
    assert (
        early_termination_fee(
            terms({"kind": "none"}),
            start_date=date(2026, 4, 1),
            end_date=date(2026, 4, 30),
            quantity=1,
        )
        == 0
    )
    assert (
        early_termination_fee(
            terms({"kind": "remaining_months"}, minimum_term_months=0),
            start_date=date(2026, 4, 1),
            end_date=date(2026, 4, 30),
            quantity=1,
        )
        == 0
    )


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    term=st.integers(min_value=1, max_value=60),
    days_used=st.integers(min_value=0, max_value=2000),
    quantity=st.integers(min_value=1, max_value=100),
    monthly_fee=st.integers(min_value=0, max_value=100_000),
)
def test_r20_remaining_months_fee_is_fee_times_quantity_times_whole_months(
    start: date, term: int, days_used: int, quantity: int, monthly_fee: int
) -> None:
    end = start + timedelta(days=days_used)
    last_day = minimum_term_last_day(start, term)
    assert last_day is not None
    fee = early_termination_fee(
        terms({"kind": "remaining_months"}, term, monthly_fee),
        start_date=start,
        end_date=end,
        quantity=quantity,
    )
    months = months_left_after(end, last_day)
    assert fee == (monthly_fee * quantity * months if end < last_day else 0)
    assert 0 <= months <= term
    # A later end date never costs more.
    later = early_termination_fee(
        terms({"kind": "remaining_months"}, term, monthly_fee),
        start_date=start,
        end_date=end + timedelta(days=31),
        quantity=quantity,
    )
    assert later <= fee


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    term=st.integers(min_value=1, max_value=60),
    amount=st.integers(min_value=1, max_value=1_000_000),
)
def test_r20_fixed_fee_is_charged_on_the_first_day_and_not_on_the_terms_last_day(
    start: date, term: int, amount: int
) -> None:
    recorded = terms(FixedTerminationFee(amount=amount).model_dump(), term)
    last_day = minimum_term_last_day(start, term)
    assert last_day is not None
    assert early_termination_fee(recorded, start_date=start, end_date=start, quantity=1) == amount
    assert early_termination_fee(recorded, start_date=start, end_date=last_day, quantity=1) == 0
