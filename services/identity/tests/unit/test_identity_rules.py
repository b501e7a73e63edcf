"""Registration rules without I/O (R5): corporate number, postal code, phone, kana, password."""

from __future__ import annotations

import pytest
from stdnum.jp import cn

from identity.domain import rules


@pytest.mark.parametrize("number", ["7000012050002", "5010401067252", "7000-01-205-0002"])
def test_r5_published_corporate_numbers_are_accepted(number: str) -> None:
    assert rules.check_corporate_number(number) == number.replace("-", "")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("7000012050003", "check digit"),
        ("8000012050002", "check digit"),
        ("700001205000", "13 digits"),
        ("70000120500021", "13 digits"),
        ("700001205000A", "13 digits"),
    ],
)
def test_r5_bad_corporate_numbers_are_refused(number: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        rules.check_corporate_number(number)


def test_r5_check_digit_agrees_with_stdnum_for_every_digit() -> None:
    base = "000012050002"  # the body of 7000012050002
    for digit in "0123456789":
        candidate = digit + base
        accepted = True
        try:
            rules.check_corporate_number(candidate)
        except ValueError:
            accepted = False
        assert accepted == cn.is_valid(candidate)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("100-8978", "1008978"), ("1008978", "1008978"), ("１００－８９７８", "1008978")],
)
def test_r5_postal_code_hyphen_optional(given: str, stored: str) -> None:
    assert rules.check_postal_code(given) == stored


@pytest.mark.parametrize("given", ["100-897", "10089780", "abc-defg", "1008-978"])
def test_r5_bad_postal_codes(given: str) -> None:
    with pytest.raises(ValueError):
        rules.check_postal_code(given)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("03-3581-4161", "0335814161"),
        ("090-1234-5678", "09012345678"),
        ("+81 3 3581 4161", "0335814161"),
        ("0120-123-456", "0120123456"),
    ],
)
def test_japanese_phone_numbers(given: str, stored: str) -> None:
    assert rules.check_phone(given) == stored


@pytest.mark.parametrize("given", ["12345", "03-1234-567", "+1 415 555 0100", "0901234567"])
def test_non_japanese_phone_numbers_are_refused(given: str) -> None:
    with pytest.raises(ValueError):
        rules.check_phone(given)


def test_r5_name_reading_is_katakana_only() -> None:
    assert rules.check_name_kana("ヤマダ タロウ") == "ヤマダ タロウ"
    assert rules.check_name_kana("ﾔﾏﾀﾞ") == "ヤマダ"
    for bad in ("やまだ", "Yamada", "山田"):
        with pytest.raises(ValueError):
            rules.check_name_kana(bad)


def test_password_policy() -> None:
    assert rules.check_password("correct horse battery 42", email="a@b.jp")
    with pytest.raises(ValueError, match="12"):
        rules.check_password("short", email=None)
    with pytest.raises(ValueError, match="email"):
        rules.check_password("Someone@Example.jp", email="someone@example.jp")
    with pytest.raises(ValueError, match="common"):
        rules.check_password("Password1234", email=None)
