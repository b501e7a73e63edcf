"""The order aggregate and its guarded state machine (R12, R17, R19).

received ─▶ accepted ─▶ provisioning ─▶ active
   │  ▲          │            │
   ▼  │          ▼            ▼
awaiting_documents   on_hold ─(release)─▶ the state it was held in
          ▼
       rejected  (from any state before active)

Every transition is a method that checks the current state, records a
:class:`StatusChange`, bumps the version and records the integration event the
move causes (the unit of work writes it to the outbox with the change). The
member can only read an order (R19: no change or cancellation on the site), so
every method here is driven by ops, by identity's events or by the scheduler.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bizmall_events import (
    ActivationNoticeDue,
    BusinessDaysBeforeStart,
    ContractTerms,
    LocalizedText,
    OnActivation,
    OrderAccepted,
    OrderOnHold,
    OrderPlaced,
    OrderRejected,
    OrderStatus,
)
from jpcalendar import subtract_business_days
from ordering.domain.errors import InvalidTransition
from servicekit.aggregate import Aggregate

#: States an order can leave (an active or rejected order is final).
OPEN_STATUSES: frozenset[str] = frozenset(
    {"received", "awaiting_documents", "accepted", "provisioning", "on_hold"}
)
#: States ops may put on hold, and that a release returns to.
HOLDABLE_STATUSES: frozenset[str] = frozenset({"received", "accepted", "provisioning"})


@dataclass(frozen=True)
class StatusChange:
    """One entry of an order's status history, shown to the member."""

    status: OrderStatus
    at: datetime
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the history is stored and answered as JSON)."""
        return {"status": self.status, "at": self.at.isoformat(), "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatusChange:
        """Read an entry written by :meth:`as_dict`."""
        return cls(
            status=data["status"], at=datetime.fromisoformat(data["at"]), reason=data["reason"]
        )


@dataclass
class Order(Aggregate):
    """A member's order of one plan of one service, with the terms in force when placed (R28)."""

    id: uuid.UUID
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_version: int
    service_name: LocalizedText
    plan_id: uuid.UUID
    plan_version_id: uuid.UUID
    plan_name: LocalizedText
    quantity: int
    options: dict[str, Any]
    desired_start_date: date
    planned_start_date: date
    terms: ContractTerms
    #: When the activation notice is due, when the service sends it before the start (R18).
    notice_business_days_before: int | None
    withdrawal_requires_contracts_ended: bool
    inquiry_reference: str
    created_at: datetime
    status: OrderStatus = "received"
    version: int = 1
    #: The reason the member sees while the order is on hold or after it was rejected.
    reason: str | None = None
    #: The state an on-hold order returns to when released.
    held_from: OrderStatus | None = None
    status_history: list[StatusChange] = field(default_factory=list)

    @classmethod
    def place(cls, *, awaiting_documents: bool, at: datetime, **fields: Any) -> Order:
        """A new order; it waits for documents when its member still owes one (R12)."""
        status: OrderStatus = "awaiting_documents" if awaiting_documents else "received"
        order = cls(created_at=at, status=status, **fields)
        order.status_history.append(StatusChange(status=status, at=at))
        order.record(
            OrderPlaced(
                **order._event_fields(),
                status=status,
                monthly_fee=order.terms.monthly_fee,
                initial_fee=order.terms.initial_fee,
                inquiry_reference=order.inquiry_reference,
                placed_at=at,
            )
        )
        return order

    @property
    def is_open(self) -> bool:
        """Not yet active or rejected (R11 counts these as blocking a withdrawal)."""
        return self.status in OPEN_STATUSES

    def release_documents(self, *, at: datetime) -> None:
        """The member's identity document was approved: the order goes to review."""
        self._require({"awaiting_documents"}, "release documents of")
        self._move("received", at=at)

    def accept(self, *, at: datetime) -> None:
        """Ops accepted the order after review."""
        self._require({"received"}, "accept")
        self._move("accepted", at=at)
        self.record(OrderAccepted(**self._event_fields()))

    def start_provisioning(self, *, at: datetime) -> None:
        """Ops started setting the service up."""
        self._require({"accepted"}, "start provisioning of")
        self._move("provisioning", at=at)

    def activate(self, *, at: datetime) -> None:
        """Ops activated the service; the caller opens the contract."""
        self._require({"accepted", "provisioning"}, "activate")
        self._move("active", at=at)

    def hold(self, *, reason: str, at: datetime) -> None:
        """Ops found a defect and wait for the customer; the member sees ``reason`` (R17)."""
        self._require(HOLDABLE_STATUSES, "hold")
        self.held_from = self.status
        self._move("on_hold", at=at, reason=reason)
        self.record(OrderOnHold(**self._event_fields(), reason=reason))

    def release(self, *, at: datetime, planned_start_date: date | None = None) -> None:
        """The customer fixed the defect; the start may move later (R17)."""
        self._require({"on_hold"}, "release")
        assert self.held_from is not None
        if planned_start_date is not None:
            self.planned_start_date = planned_start_date
        back, self.held_from = self.held_from, None
        self._move(back, at=at)

    def reject(self, *, reason: str, at: datetime) -> None:
        """Ops (or the 30-day document rule, R12) rejected the order."""
        self._require(OPEN_STATUSES, "reject")
        self.held_from = None
        self._move("rejected", at=at, reason=reason)
        self.record(OrderRejected(**self._event_fields(), reason=reason))

    def issue_activation_notice(self, *, contract_id: uuid.UUID | None) -> None:
        """The activation notice is due (R18): notification mails it. Issued once per order,
        which the caller makes sure of."""
        timing: OnActivation | BusinessDaysBeforeStart = (
            BusinessDaysBeforeStart(business_days=self.notice_business_days_before)
            if self.notice_business_days_before is not None
            else OnActivation()
        )
        self.record(
            ActivationNoticeDue(
                aggregate_version=self.version,
                order_id=self.id,
                contract_id=contract_id,
                member_id=self.member_id,
                service_id=self.service_id,
                service_name=self.service_name,
                plan_name=self.plan_name,
                quantity=self.quantity,
                planned_start_date=self.planned_start_date,
                timing=timing,
            )
        )

    def notice_due_on(self) -> date | None:
        """The Japan date the notice is due when the service sends it before the start (R18)."""
        if self.notice_business_days_before is None:
            return None
        return subtract_business_days(self.planned_start_date, self.notice_business_days_before)

    def _require(self, allowed: frozenset[str] | set[str], action: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(self.status, action)

    def _event_fields(self) -> dict[str, Any]:
        return {
            "aggregate_version": self.version,
            "order_id": self.id,
            "member_id": self.member_id,
            "service_id": self.service_id,
            "service_name": self.service_name,
            "plan_id": self.plan_id,
            "plan_version_id": self.plan_version_id,
            "plan_name": self.plan_name,
            "quantity": self.quantity,
            "planned_start_date": self.planned_start_date,
        }

    def _move(self, status: OrderStatus, *, at: datetime, reason: str | None = None) -> None:
        self.status = status
        self.reason = reason if status in ("on_hold", "rejected") else None
        self.version += 1
        self.status_history.append(StatusChange(status=status, at=at, reason=reason))
