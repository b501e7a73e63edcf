"""The contract an activated order opens, and its mid-term cancellation (R18, R20, R28)."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from bizmall_events import ContractTerms, LocalizedText
from ordering.domain.termination import early_termination_fee


class ContractNotCancellable(Exception):
    """The contract already has an end date, or the end date is not allowed."""


@dataclass
class Contract:
    """A running service of a member, with the price and terms recorded at ordering (R28)."""

    id: uuid.UUID
    order_id: uuid.UUID
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_name: LocalizedText
    plan_id: uuid.UUID
    plan_name: LocalizedText
    quantity: int
    planned_start_date: date
    start_date: date
    terms: ContractTerms
    withdrawal_requires_contracts_ended: bool
    created_at: datetime
    version: int = 1
    end_date: date | None = None
    early_termination_fee: int | None = None
    cancelled_at: datetime | None = None

    def status_on(self, today: date) -> str:
        """``active``, ``cancellation_scheduled`` (ends in the future) or ``ended``."""
        if self.end_date is None:
            return "active"
        return "ended" if self.end_date < today else "cancellation_scheduled"

    def has_ended(self, today: date) -> bool:
        """Whether the contract is over (a cancellation ending in the future is not, R11)."""
        return self.end_date is not None and self.end_date < today

    def quote(self, *, end_date: date) -> int:
        """The early termination fee of ending on ``end_date`` under the recorded terms."""
        return early_termination_fee(
            self.terms, start_date=self.start_date, end_date=end_date, quantity=self.quantity
        )

    def check_end_date(self, end_date: date, *, today: date) -> None:
        """Refuse an end date the contract cannot have."""
        if self.end_date is not None:
            raise ContractNotCancellable("the contract is already cancelled")
        if end_date < max(today, self.start_date):
            raise ContractNotCancellable("the end date is in the past or before the start")

    def cancel(self, *, end_date: date, today: date, at: datetime) -> int:
        """Book the end of the contract; returns the fee billed on the final invoice."""
        self.check_end_date(end_date, today=today)
        fee = self.quote(end_date=end_date)
        self.end_date = end_date
        self.early_termination_fee = fee
        self.cancelled_at = at
        self.version += 1
        return fee


def default_end_date(today: date) -> date:
    """The end date a quote assumes when the member names none: the end of this month."""
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])
