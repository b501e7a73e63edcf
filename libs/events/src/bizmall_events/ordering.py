"""Events published by ordering: orders, contracts, activation notices (R12–R20).

Each event holds what its consumers act on without asking back: notification
gets the names and dates it puts in the email (it keeps no catalog copy), and
billing gets the price and terms the contract recorded when it was ordered (R28).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from bizmall_events.aggregate import AggregateEvent
from bizmall_events.catalog import ActivationNoticeTiming, EarlyTerminationRule
from bizmall_events.values import LocalizedText, ValueModel, Yen

#: An order's life: received → (awaiting_documents) → accepted → provisioning → active;
#: ops may put it on hold awaiting the customer, or reject it.
OrderStatus = Literal[
    "received",
    "awaiting_documents",
    "accepted",
    "provisioning",
    "active",
    "on_hold",
    "rejected",
]


class _OrderEvent(AggregateEvent):
    AGGREGATE_ID_FIELD: ClassVar[str] = "order_id"

    order_id: uuid.UUID
    member_id: uuid.UUID
    status: OrderStatus
    service_id: uuid.UUID
    service_name: LocalizedText
    plan_id: uuid.UUID
    plan_version_id: uuid.UUID
    plan_name: LocalizedText
    quantity: int = Field(ge=1)
    planned_start_date: date


class OrderPlaced(_OrderEvent):
    """A member placed an order (R16). ordering → notification, which sends the
    confirmation email with the link to the order's inquiry form (R19)."""

    TYPE: ClassVar[str] = "ordering.order.placed"

    status: Literal["received", "awaiting_documents"]
    monthly_fee: Yen
    initial_fee: Yen
    #: Binds the confirmation email's inquiry link to this order (R19).
    inquiry_reference: str
    placed_at: AwareDatetime


class OrderAccepted(_OrderEvent):
    """Ops accepted an order. ordering → notification."""

    TYPE: ClassVar[str] = "ordering.order.accepted"

    status: Literal["accepted"] = "accepted"


class OrderOnHold(_OrderEvent):
    """Ops put an order on hold awaiting the customer (R17); the reason is shown
    to the member. ordering → notification."""

    TYPE: ClassVar[str] = "ordering.order.on_hold"

    status: Literal["on_hold"] = "on_hold"
    reason: str = Field(min_length=1)


class OrderRejected(_OrderEvent):
    """An order was rejected, by ops or because its identity document did not
    arrive within 30 days (R12). ordering → notification."""

    TYPE: ClassVar[str] = "ordering.order.rejected"

    status: Literal["rejected"] = "rejected"
    reason: str = Field(min_length=1)


class ContractTerms(ValueModel):
    """The price and terms a contract keeps for its life, recorded at ordering (R28)."""

    service_version: int = Field(ge=1)
    plan_version_id: uuid.UUID
    monthly_fee: Yen
    initial_fee: Yen
    free_first_month: bool
    allows_account_transfer: bool
    cancellable_on_site: bool
    early_termination: EarlyTerminationRule
    minimum_term_months: int = Field(ge=0)


class _ContractEvent(AggregateEvent):
    AGGREGATE_ID_FIELD: ClassVar[str] = "contract_id"

    contract_id: uuid.UUID
    order_id: uuid.UUID
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_name: LocalizedText
    plan_id: uuid.UUID
    plan_name: LocalizedText
    quantity: int = Field(ge=1)


class ContractActivated(_ContractEvent):
    """Ops activated an order: its contract starts. ordering → billing (starts
    billing with ``terms``), notification."""

    TYPE: ClassVar[str] = "ordering.contract.activated"

    planned_start_date: date
    start_date: date
    terms: ContractTerms


#: Who ended a contract: the member on the site (R20), or ops for a cancellation taken
#: by the contact center (R32).
CancelledBy = Literal["member", "ops"]


class ContractCancelled(_ContractEvent):
    """A contract was cancelled mid-term: by the member on the site (R20), or by ops
    for a cancellation taken by the contact center, whatever the service (R32).
    ordering → billing (bills the end month by days used and puts the fee on the
    final invoice, outside consumption tax), notification (emails the member the
    end date and the fee).

    ``cancelled_by`` and ``reason`` (what ops entered) came later: their defaults
    read an older event as the member's own cancellation."""

    TYPE: ClassVar[str] = "ordering.contract.cancelled"

    end_date: date
    early_termination_fee: Yen
    cancelled_by: CancelledBy = "member"
    #: Why ops ended the contract (R32); None for a member's cancellation on the site.
    reason: str | None = None


class ActivationNoticeDue(AggregateEvent):
    """The activation notice (開通のお知らせ) of an order is due (R18): on
    activation, or N business days before the planned start. ordering →
    notification, which sends the notice on this event only. Published once
    per order; ``contract_id`` is set when the order is already active."""

    TYPE: ClassVar[str] = "ordering.activation_notice.due"
    AGGREGATE_ID_FIELD: ClassVar[str] = "order_id"

    order_id: uuid.UUID
    contract_id: uuid.UUID | None = None
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_name: LocalizedText
    plan_name: LocalizedText
    quantity: int = Field(ge=1)
    planned_start_date: date
    timing: ActivationNoticeTiming
