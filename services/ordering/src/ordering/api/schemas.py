"""Request and response models of the ordering API (field names per SPEC §2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bizmall_events import BlockingItem, ContractTerms, LocalizedText, OrderStatus
from ordering.domain.contract import Contract
from ordering.domain.order import Order


class PlaceOrderBody(BaseModel):
    """``POST /orders``: one plan of one service, with the service's own order fields (R13)."""

    model_config = ConfigDict(extra="forbid")

    service_id: uuid.UUID
    plan_id: uuid.UUID
    quantity: int = Field(ge=1)
    desired_start_date: date
    options: dict[str, Any] = Field(default_factory=dict)
    plan_version_id: uuid.UUID | None = Field(
        default=None, description="The plan version the member saw; 409 when no longer current."
    )


class StatusChangeView(BaseModel):
    """One step of an order's history; ``reason`` for on_hold and rejected."""

    status: OrderStatus
    at: datetime
    reason: str | None


class OrderView(BaseModel):
    """An order as its member (and ops) see it."""

    id: uuid.UUID
    status: OrderStatus
    service_id: uuid.UUID
    service_name: LocalizedText
    plan_id: uuid.UUID
    plan_version_id: uuid.UUID
    plan_name: LocalizedText
    quantity: int
    options: dict[str, Any]
    desired_start_date: date
    planned_start_date: date
    monthly_fee: int
    initial_fee: int
    #: Why the order is on hold or was rejected (shown to the member, R17).
    reason: str | None
    inquiry_reference: str
    created_at: datetime
    status_history: list[StatusChangeView]

    @classmethod
    def of(cls, order: Order) -> OrderView:
        """The view of ``order``."""
        return cls(
            id=order.id,
            status=order.status,
            service_id=order.service_id,
            service_name=order.service_name,
            plan_id=order.plan_id,
            plan_version_id=order.plan_version_id,
            plan_name=order.plan_name,
            quantity=order.quantity,
            options=order.options,
            desired_start_date=order.desired_start_date,
            planned_start_date=order.planned_start_date,
            monthly_fee=order.terms.monthly_fee,
            initial_fee=order.terms.initial_fee,
            reason=order.reason,
            inquiry_reference=order.inquiry_reference,
            created_at=order.created_at,
            status_history=[
                StatusChangeView(status=c.status, at=c.at, reason=c.reason)
                for c in order.status_history
            ],
        )


class OpsOrderView(OrderView):
    """An order as ops see it: with its member."""

    member_id: uuid.UUID

    @classmethod
    def of(cls, order: Order) -> OpsOrderView:
        """The ops view of ``order``."""
        return cls(**OrderView.of(order).model_dump(), member_id=order.member_id)


class OrderPage(BaseModel):
    """A page of orders, newest first."""

    items: list[OrderView]
    next_cursor: str | None


class OpsOrderPage(BaseModel):
    """A page of orders for ops, newest first."""

    items: list[OpsOrderView]
    next_cursor: str | None


class ContractView(BaseModel):
    """A contract with its planned and actual start and the terms recorded at ordering (R28)."""

    id: uuid.UUID
    order_id: uuid.UUID
    status: str = Field(description="active | cancellation_scheduled | ended")
    service_id: uuid.UUID
    service_name: LocalizedText
    plan_id: uuid.UUID
    plan_name: LocalizedText
    quantity: int
    planned_start_date: date
    start_date: date
    end_date: date | None
    early_termination_fee: int | None
    terms: ContractTerms
    created_at: datetime

    @classmethod
    def of(cls, contract: Contract, *, today: date) -> ContractView:
        """The view of ``contract`` as of the Japan date ``today``."""
        return cls(
            id=contract.id,
            order_id=contract.order_id,
            status=contract.status_on(today),
            service_id=contract.service_id,
            service_name=contract.service_name,
            plan_id=contract.plan_id,
            plan_name=contract.plan_name,
            quantity=contract.quantity,
            planned_start_date=contract.planned_start_date,
            start_date=contract.start_date,
            end_date=contract.end_date,
            early_termination_fee=contract.early_termination_fee,
            terms=contract.terms,
            created_at=contract.created_at,
        )


class ContractPage(BaseModel):
    """A page of contracts, newest first."""

    items: list[ContractView]
    next_cursor: str | None


class ContactCenterView(BaseModel):
    """The contact center's phone and hours."""

    phone: str
    hours_ja: str
    hours_en: str


class CancellationQuoteView(BaseModel):
    """What cancelling on ``end_date`` costs (R20); shown before the member confirms."""

    contract_id: uuid.UUID
    end_date: date
    early_termination_fee: int
    cancellable_on_site: bool
    #: Where to cancel when the site cannot.
    contact_center: ContactCenterView | None


class CancelBody(BaseModel):
    """``POST /contracts/{id}/cancel``: the end date (default: the end of this month)."""

    model_config = ConfigDict(extra="forbid")

    end_date: date | None = None


class ReasonBody(BaseModel):
    """A reason the member will read (hold, reject)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class ReleaseBody(BaseModel):
    """Release a held order, optionally moving its planned start (R17)."""

    model_config = ConfigDict(extra="forbid")

    planned_start_date: date | None = None


class ActivateBody(BaseModel):
    """Activate an order on its actual start date."""

    model_config = ConfigDict(extra="forbid")

    start_date: date


class ActivationView(BaseModel):
    """The activated order and the contract it opened."""

    order: OpsOrderView
    contract: ContractView


class WithdrawalBlockers(BaseModel):
    """What blocks a member's withdrawal (R11); empty when nothing does."""

    items: list[BlockingItem]
