"""The contract an activated order opens, and its mid-term cancellation by the member or by
ops (R18, R20, R28, R32)."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from bizmall_events import ContractActivated, ContractCancelled, ContractTerms, LocalizedText
from bizmall_events.ordering import CancelledBy
from ordering.domain.errors import ContractNotCancellable, EndDateNotAllowed
from ordering.domain.order import Order
from ordering.domain.termination import early_termination_fee
from servicekit.aggregate import Aggregate

#: A contract as of a day: running, ending on a day ahead, or over.
ContractStatus = Literal["active", "cancellation_scheduled", "ended"]


@dataclass
class Contract(Aggregate):
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
    #: Who ended the contract: the member on the site (R20) or ops (R32).
    cancelled_by: CancelledBy | None = None
    #: Why ops ended it (R32); the member's own cancellation has none.
    cancellation_reason: str | None = None

    @classmethod
    def open(cls, order: Order, *, start_date: date, at: datetime) -> Contract:
        """The contract ``order`` opens on its activation: billing bills it from ``start_date``."""
        contract = cls(
            id=uuid.uuid4(),
            order_id=order.id,
            member_id=order.member_id,
            service_id=order.service_id,
            service_name=order.service_name,
            plan_id=order.plan_id,
            plan_name=order.plan_name,
            quantity=order.quantity,
            planned_start_date=order.planned_start_date,
            start_date=start_date,
            terms=order.terms,
            withdrawal_requires_contracts_ended=order.withdrawal_requires_contracts_ended,
            created_at=at,
        )
        contract.record(
            ContractActivated(
                **contract._event_fields(),
                planned_start_date=contract.planned_start_date,
                start_date=start_date,
                terms=contract.terms,
            )
        )
        return contract

    def status_on(self, today: date) -> ContractStatus:
        """``active``, ``cancellation_scheduled`` (ends in the future) or ``ended``."""
        if self.end_date is None:
            return "active"
        return "ended" if self.end_date < today else "cancellation_scheduled"

    def has_ended(self, today: date) -> bool:
        """Whether the contract is over (a cancellation ending in the future is not, R11)."""
        return self.end_date is not None and self.end_date < today

    def end_date_or_default(self, end_date: date | None, *, today: date) -> date:
        """``end_date``, or when the member names none the end of this month (not before the
        start)."""
        return end_date or max(_end_of_month(today), self.start_date)

    def quote(self, *, end_date: date) -> int:
        """The early termination fee of ending on ``end_date`` under the recorded terms."""
        return early_termination_fee(
            self.terms, start_date=self.start_date, end_date=end_date, quantity=self.quantity
        )

    def check_end_date(self, end_date: date, *, today: date) -> None:
        """Refuse an end date the contract cannot have: 409 once it is cancelled, 422 for a
        date in the past or before the start."""
        if self.end_date is not None:
            raise ContractNotCancellable("the contract is already cancelled")
        if end_date < max(today, self.start_date):
            raise EndDateNotAllowed(earliest=max(today, self.start_date))

    def cancel(
        self,
        *,
        end_date: date,
        today: date,
        at: datetime,
        by: CancelledBy = "member",
        reason: str | None = None,
    ) -> int:
        """Book the end of the contract; returns the fee billed on the final invoice (R20).

        The fee is the recorded rule's whoever ends it: the member on the site, or ops
        for a cancellation the contact center took, with ``reason`` (R32).
        """
        self.check_end_date(end_date, today=today)
        fee = self.quote(end_date=end_date)
        self.end_date = end_date
        self.early_termination_fee = fee
        self.cancelled_at = at
        self.cancelled_by = by
        self.cancellation_reason = reason
        self.version += 1
        self.record(
            ContractCancelled(
                **self._event_fields(),
                end_date=end_date,
                early_termination_fee=fee,
                cancelled_by=by,
                reason=reason,
            )
        )
        return fee

    def _event_fields(self) -> dict[str, Any]:
        return {
            "aggregate_version": self.version,
            "contract_id": self.id,
            "order_id": self.order_id,
            "member_id": self.member_id,
            "service_id": self.service_id,
            "service_name": self.service_name,
            "plan_id": self.plan_id,
            "plan_name": self.plan_name,
            "quantity": self.quantity,
        }


def _end_of_month(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])
