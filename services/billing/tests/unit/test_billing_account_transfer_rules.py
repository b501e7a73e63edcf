"""Account-transfer applications (R21): what a valid one holds, and how ops decide it."""

from __future__ import annotations

from datetime import date

import pytest

from billing.domain.account_transfer import (
    BankDetails,
    TransferNotPending,
    decide,
    expected_completion,
    is_katakana_name,
)


def details(**overrides: str) -> BankDetails:
    values = {
        "bank_code": "0001",
        "branch_code": "123",
        "account_type": "ordinary",
        "account_number": "1234567",
        "holder_name_kana": "ヤマダ タロウ",
    }
    values.update(overrides)
    return BankDetails(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　ハナコ", "ビズモール"])
def test_r21_holder_names_in_full_or_half_width_katakana_are_accepted(name: str) -> None:
    assert details(holder_name_kana=name).holder_name_kana == name
    assert is_katakana_name(name)


@pytest.mark.parametrize(
    "name", ["山田 太郎", "やまだ", "YAMADA", "ヤマダ1", "カ）ビズモール", "   "]
)
def test_r21_holder_names_other_than_katakana_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="holder_name_kana"):
        details(holder_name_kana=name)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bank_code", "001"),
        ("branch_code", "12a"),
        ("account_number", "123456"),
        ("account_type", "savings"),
    ],
)
def test_r21_bank_fields_have_fixed_formats(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        details(**{field: value})


def test_r21_only_the_last_three_digits_are_shown() -> None:
    assert details().masked_number == "****567"


def test_r21_completion_is_expected_about_two_months_later() -> None:
    assert expected_completion(date(2026, 4, 1), 61) == date(2026, 6, 1)


def test_r21_ops_decide_an_application_once() -> None:
    assert decide("applied", "completed") == "completed"
    assert decide("applied", "rejected") == "rejected"
    with pytest.raises(TransferNotPending):
        decide("completed", "rejected")
