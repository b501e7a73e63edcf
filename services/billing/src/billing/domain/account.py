"""A member's billing account (R21, R22): the recipient copied from identity, the
payment method, consolidated mailing, and the account-transfer applications."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.domain.account_transfer import (
    AccountTransfer,
    BankDetails,
    Decision,
    expected_completion,
)
from billing.domain.errors import AccountTransferActive, AccountTransferPending
from bizmall_events import AccountTransferDecided, PaymentMethod
from servicekit.aggregate import Aggregate
from servicekit.clock import japan_today


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom invoices are addressed to, as identity's profile last said (R25)."""

    entity_type: str
    name: str
    organization_name: str
    department: str | None
    postal_code: str
    address: str

    def as_dict(self) -> dict[str, Any]:
        """The recipient printed on an invoice (stored with it, never changed)."""
        return {
            "entity_type": self.entity_type,
            "name": self.name,
            "organization_name": self.organization_name,
            "department": self.department,
            "postal_code": self.postal_code,
            "address": self.address,
        }


@dataclass
class BillingAccount(Aggregate):
    """The account invoices of a member are issued to; opened on invoice payment."""

    id: uuid.UUID
    member_id: uuid.UUID
    member_version: int
    recipient: Recipient
    payment_method: PaymentMethod
    consolidated_mailing: bool
    version: int
    created_at: datetime
    updated_at: datetime
    #: The member's name in kana as identity has it (R36: payers are matched by it).
    name_kana: str | None = None

    @classmethod
    def open(
        cls,
        *,
        member_id: uuid.UUID,
        member_version: int,
        recipient: Recipient,
        now: datetime,
        name_kana: str | None = None,
    ) -> BillingAccount:
        """A verified member's account: every account starts on invoice payment (R21)."""
        return cls(
            id=uuid.uuid4(),
            member_id=member_id,
            member_version=member_version,
            recipient=recipient,
            payment_method="invoice",
            consolidated_mailing=False,
            version=1,
            created_at=now,
            updated_at=now,
            name_kana=name_kana,
        )

    def copy_member(
        self,
        *,
        member_version: int,
        recipient: Recipient,
        now: datetime,
        name_kana: str | None = None,
    ) -> bool:
        """Take the recipient (and name kana) of a newer profile; an older one is
        ignored (SPEC §1). Whether the copy changed."""
        if member_version <= self.member_version:
            return False
        self.member_version = member_version
        self.recipient = recipient
        self.name_kana = name_kana
        self._changed(now)
        return True

    def apply_for_account_transfer(
        self,
        *,
        details: BankDetails,
        sealed_details: str,
        pending: AccountTransfer | None,
        now: datetime,
        lead_days: int,
    ) -> AccountTransfer:
        """A new application (``applied``); invoices stay on invoice payment until ops
        complete it (R21). One open application at a time."""
        if self.payment_method == "account_transfer":
            raise AccountTransferActive()
        if pending is not None:
            raise AccountTransferPending()
        return AccountTransfer(
            id=uuid.uuid4(),
            account_id=self.id,
            member_id=self.member_id,
            status="applied",
            bank_code=details.bank_code,
            branch_code=details.branch_code,
            account_type=details.account_type,
            masked_number=details.masked_number,
            sealed_details=sealed_details,
            applied_at=now,
            expected_completion_date=expected_completion(japan_today(now), lead_days),
        )

    def decide_account_transfer(
        self,
        transfer: AccountTransfer,
        decision: Decision,
        *,
        reason: str | None,
        actor: str,
        now: datetime,
    ) -> None:
        """Ops complete or reject the account's application; a completed one puts the
        account on account transfer. Records ``billing.account_transfer.decided``."""
        transfer.decide(decision, reason=reason, actor=actor, now=now)
        if transfer.status == "completed":
            self.payment_method = "account_transfer"
        self._changed(now)
        self.record(
            AccountTransferDecided(
                billing_account_id=self.id,
                aggregate_version=self.version,
                member_id=self.member_id,
                decision=decision,
                reason=reason,
                payment_method=self.payment_method,
            )
        )

    def set_consolidated_mailing(self, enabled: bool, *, now: datetime) -> None:
        """Mark (or unmark) the account for consolidated mailing (R22)."""
        self.consolidated_mailing = enabled
        self._changed(now)

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now
