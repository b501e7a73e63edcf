"""Registration and profile rules (R5, R8, R9): pure checks, no I/O.

Each check returns the normalised value or raises ``ValueError`` with an
English message; the API layer turns it into a 422 naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from stdnum.jp import cn as corporate_number_rule

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128

_POSTAL_CODE = re.compile(r"^(\d{3})-?(\d{4})$")
# Fixed lines (10 digits, toll-free 0120 included); mobile and IP phones 0[5789]0 have
# 11 digits, as does toll-free 0800.
_PHONE = re.compile(r"^0(?:(?![5789]0)[1-9]\d{8}|[5789]0\d{8}|800\d{7})$")
# Katakana block, the prolonged sound mark, the middle dot and spaces (full and half width).
_KATAKANA = re.compile(r"^[\u30A0-\u30FF\u3000 ]+$")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to accept (lower-cased)."""
    text = resources.files("identity.domain").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password(password: str, *, email: str | None) -> str:
    """A password of 12–128 characters, not the email, not a common password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")
    if email and password.strip().lower() == email.strip().lower():
        raise ValueError("the password must not be the email address")
    if password.lower() in common_passwords():
        raise ValueError("the password is too common")
    return password


def check_corporate_number(number: str) -> str:
    """A 13-digit corporate number (法人番号) with a valid check digit."""
    compact = corporate_number_rule.compact(number)
    if not re.fullmatch(r"\d{13}", compact):
        raise ValueError("a corporate number has 13 digits")
    if not corporate_number_rule.is_valid(compact):
        raise ValueError("the corporate number's check digit is wrong")
    return compact


def check_postal_code(code: str) -> str:
    """A Japanese postal code of 7 digits, the hyphen optional; stored without it."""
    match = _POSTAL_CODE.fullmatch(unicodedata.normalize("NFKC", code).strip())
    if match is None:
        raise ValueError("a postal code has 7 digits (123-4567 or 1234567)")
    return match.group(1) + match.group(2)


def check_phone(phone: str) -> str:
    """A domestic Japanese phone number; hyphens, spaces and brackets are dropped."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", phone))
    if digits.startswith("+81"):
        digits = "0" + digits[3:]
    if not _PHONE.fullmatch(digits):
        raise ValueError("not a Japanese phone number (e.g. 03-1234-5678 or 090-1234-5678)")
    return digits


def check_name_kana(kana: str) -> str:
    """A name reading in katakana (half-width katakana is widened)."""
    widened = unicodedata.normalize("NFKC", kana).strip()
    if not widened or not _KATAKANA.fullmatch(widened):
        raise ValueError("the reading must be written in katakana")
    return widened
