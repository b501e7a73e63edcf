"""Request and response models of the ordering API (field names per SPEC §2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bizmall_events import BlockingItem, ContractTerms, LocalizedText, OrderStatus
from bizmall_events.ordering import CancelledBy
from ordering.domain.contract import Contract, ContractStatus
from ordering.domain.member import Member
from ordering.domain.order import Order
from ordering.domain.placement import options_size_problem
from ordering.service_layer.queries import OpsContract, OpsOrder, OpsOrderDetail


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

    @field_validator("options")
    @classmethod
    def _options_within_limits(cls, options: dict[str, Any]) -> dict[str, Any]:
        # 422 before anything reads them: at most 50 names of 64 characters, 16 KiB.
        problem = options_size_problem(options)
        if problem is not None:
            raise ValueError(problem)
        return options


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


class MemberNamesView(BaseModel):
    """Who a member is in ops lists (R30): the organization and the person. Both are null
    while ordering's copy of the member has not received them from identity."""

    id: uuid.UUID
    organization_name: str | None
    name: str | None

    @classmethod
    def of(cls, member_id: uuid.UUID, member: Member | None) -> MemberNamesView:
        """The names of ``member_id`` from its copy ``member``."""
        return cls(
            id=member_id,
            organization_name=member.organization_name if member else None,
            name=member.name if member else None,
        )


class OpsOrderSummary(OpsOrderView):
    """An order in the ops list (R31): with the member's names."""

    member: MemberNamesView

    @classmethod
    def of_ops(cls, item: OpsOrder) -> OpsOrderSummary:
        """The list item of ``item``."""
        return cls(
            **OpsOrderView.of(item.order).model_dump(),
            member=MemberNamesView.of(item.order.member_id, item.member),
        )


class EnteredFieldView(BaseModel):
    """One order field as the member entered it, with the label the order form showed."""

    name: str
    label: LocalizedText
    value: Any


class OpsOrderDetailView(OpsOrderSummary):
    """One order as ops review it (R31): the entered order fields labelled by the service
    version it was placed on (``options`` keeps the raw values), the terms recorded then."""

    service_version: int
    entered_fields: list[EnteredFieldView]
    terms: ContractTerms

    @classmethod
    def of_detail(cls, detail: OpsOrderDetail) -> OpsOrderDetailView:
        """The view of ``detail``."""
        return cls(
            **OpsOrderSummary.of_ops(detail).model_dump(),
            service_version=detail.order.service_version,
            entered_fields=[
                EnteredFieldView(name=f.name, label=f.label, value=f.value)
                for f in detail.entered_fields
            ],
            terms=detail.order.terms,
        )


class OrderPage(BaseModel):
    """A page of orders, newest first."""

    items: list[OrderView]
    next_cursor: str | None


class OpsOrderPage(BaseModel):
    """A page of orders for ops, newest first."""

    items: list[OpsOrderSummary]
    next_cursor: str | None


class ContractView(BaseModel):
    """A contract with its planned and actual start and the terms recorded at ordering (R28)."""

    id: uuid.UUID
    order_id: uuid.UUID
    status: ContractStatus
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


class OpsContractView(ContractView):
    """A contract as ops see it (R32): its member, and who ended it, when and why."""

    member_id: uuid.UUID
    member: MemberNamesView
    cancelled_at: datetime | None
    cancelled_by: CancelledBy | None
    cancellation_reason: str | None

    @classmethod
    def of_ops(cls, item: OpsContract, *, today: date) -> OpsContractView:
        """The ops view of ``item`` as of the Japan date ``today``."""
        contract = item.contract
        return cls(
            **ContractView.of(contract, today=today).model_dump(),
            member_id=contract.member_id,
            member=MemberNamesView.of(contract.member_id, item.member),
            cancelled_at=contract.cancelled_at,
            cancelled_by=contract.cancelled_by,
            cancellation_reason=contract.cancellation_reason,
        )


class OpsContractPage(BaseModel):
    """A page of contracts for ops, newest first."""

    items: list[OpsContractView]
    next_cursor: str | None


class OpsCancellationQuoteView(BaseModel):
    """What ending the contract on ``end_date`` costs under its recorded terms (R20, R32),
    read to the customer on the phone before ops confirm."""

    contract_id: uuid.UUID
    end_date: date
    early_termination_fee: int
    #: Whether the member could have cancelled on the site; ops may end it either way.
    cancellable_on_site: bool
    #: Ending on or after this day costs no fee (None: the service has no minimum term).
    minimum_term_last_day: date | None


class OpsCancelBody(BaseModel):
    """``POST /ops/ordering/contracts/{id}/cancel``: the end date and why (R32)."""

    model_config = ConfigDict(extra="forbid")

    end_date: date
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


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
