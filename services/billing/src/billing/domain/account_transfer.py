"""Account transfer (口座振替) applications (R21): what a valid application holds and
how it moves; pure.

An application is ``applied`` until ops complete or reject it; only a completed
transfer lets invoices be debited. The bank details are sealed before they are
stored (see ``service_layer.accounts``): an application keeps only the sealed
text, the bank and branch codes and the last three digits.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from billing.domain.errors import ReasonRequired, TransferNotPending

AccountType = Literal["ordinary", "current"]
TransferStatus = Literal["applied", "completed", "rejected"]
Decision = Literal["completed", "rejected"]

# Full-width katakana (with ・ and ー), half-width katakana (with ﾞ ﾟ ｰ) and spaces:
# bank account holder names are registered in katakana.
_KATAKANA_NAME = re.compile(r"^[\u30a0-\u30ff\uff65-\uff9f \u3000]+$")


def is_katakana_name(text: str) -> bool:
    """Whether ``text`` is a holder name in full- or half-width katakana (spaces allowed)."""
    return bool(_KATAKANA_NAME.match(text)) and bool(text.strip(" \u3000"))


@dataclass(frozen=True)
class BankDetails:
    """A bank account to debit; every field is checked on construction."""

    bank_code: str
    branch_code: str
    account_type: AccountType
    account_number: str
    holder_name_kana: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}", self.bank_code):
            raise ValueError("bank_code")
        if not re.fullmatch(r"\d{3}", self.branch_code):
            raise ValueError("branch_code")
        if self.account_type not in ("ordinary", "current"):
            raise ValueError("account_type")
        if not re.fullmatch(r"\d{7}", self.account_number):
            raise ValueError("account_number")
        if not is_katakana_name(self.holder_name_kana):
            raise ValueError("holder_name_kana")

    @property
    def masked_number(self) -> str:
        """The account number as shown back to the member: only the last three digits."""
        return "****" + self.account_number[-3:]


def expected_completion(applied_on: date, lead_days: int) -> date:
    """When an application made on ``applied_on`` is expected to complete (about two
    months later, R21)."""
    return applied_on + timedelta(days=lead_days)


def decide(status: TransferStatus, decision: Decision) -> TransferStatus:
    """The status after ops decide an ``applied`` application."""
    if status != "applied":
        raise TransferNotPending(status)
    return decision


@dataclass
class AccountTransfer:
    """One account-transfer application of a billing account (R21)."""

    id: uuid.UUID
    account_id: uuid.UUID
    member_id: uuid.UUID
    status: TransferStatus
    bank_code: str
    branch_code: str
    account_type: AccountType
    masked_number: str
    sealed_details: str
    applied_at: datetime
    expected_completion_date: date
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None

    def decide(self, decision: Decision, *, reason: str | None, actor: str, now: datetime) -> None:
        """Ops complete or reject the application; a rejection says why."""
        if decision == "rejected" and not reason:
            raise ReasonRequired()
        self.status = decide(self.status, decision)
        self.decided_at = now
        self.decided_by = actor
        self.reason = reason
