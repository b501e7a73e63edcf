"""Request and response bodies of the catalog API: a response model for every route."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from bizmall_events.catalog import (
    ActivationNoticeTiming,
    EarlyTerminationRule,
    ServiceSnapshot,
)
from bizmall_events.values import LocalizedText, Yen
from catalog.domain.model import CATEGORY_PATTERN, SLUG_PATTERN, Plan, ServiceTerms
from jpcalendar import StartDates


class ServiceView(ServiceSnapshot):
    """One service version with its plans and every rule (SPEC §4)."""

    id: uuid.UUID

    @classmethod
    def of(cls, snapshot: ServiceSnapshot) -> ServiceView:
        return cls(id=snapshot.service_id, **snapshot.model_dump())


class ServiceSummary(BaseModel):
    """A service as the lineup lists it; ``GET /services/{id}`` has the rest."""

    id: uuid.UUID
    slug: str
    version: int
    category: str
    name: LocalizedText
    description: LocalizedText
    #: The cheapest plan's monthly fee (tax-exclusive yen), None without plans.
    monthly_fee_from: Yen | None
    requires_corporation: bool
    takes_phone_orders: bool

    @classmethod
    def of(cls, snapshot: ServiceSnapshot) -> ServiceSummary:
        fees = [plan.monthly_fee for plan in snapshot.plans]
        return cls(
            id=snapshot.service_id,
            slug=snapshot.slug,
            version=snapshot.service_version,
            category=snapshot.category,
            name=snapshot.name,
            description=snapshot.description,
            monthly_fee_from=min(fees) if fees else None,
            requires_corporation=snapshot.requires_corporation,
            takes_phone_orders=snapshot.takes_phone_orders,
        )


class ServicePage(BaseModel):
    """One page of the lineup."""

    items: list[ServiceSummary]
    next_cursor: str | None


class OpsServicePage(BaseModel):
    """One page of services in any state, for ops."""

    items: list[ServiceView]
    next_cursor: str | None


class StartDatesView(BaseModel):
    """The order calendar (R17), in SPEC §2's shape."""

    earliest: date
    dates: list[date]
    cutoff: str
    effective_order_date: date

    @classmethod
    def of(cls, calendar: StartDates) -> StartDatesView:
        return cls(
            earliest=calendar.earliest,
            dates=list(calendar.dates),
            cutoff=calendar.cutoff,
            effective_order_date=calendar.effective_order_date,
        )


class PlanInput(BaseModel):
    """A plan's name and fees (tax-exclusive integer yen)."""

    name: LocalizedText
    monthly_fee: Yen = Field(le=100_000_000)
    initial_fee: Yen = Field(le=100_000_000)

    def as_plan(self, plan_id: uuid.UUID) -> Plan:
        return Plan(plan_id=plan_id, **self.model_dump())


class NewPlanInput(PlanInput):
    """A plan to add; ``plan_id`` may be given (the demo seed uses fixed ids)."""

    plan_id: uuid.UUID = Field(default_factory=uuid.uuid4)

    def as_new_plan(self) -> Plan:
        return Plan(**self.model_dump())


class ServiceInput(ServiceTerms):
    """A new service (saved as a draft); ``id`` may be given (the demo seed uses fixed ids)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    slug: str = Field(pattern=SLUG_PATTERN)
    plans: list[NewPlanInput] = Field(default_factory=list, max_length=20)

    def terms(self) -> ServiceTerms:
        return ServiceTerms.model_validate(self.model_dump(include=set(ServiceTerms.model_fields)))


class ServicePatch(BaseModel):
    """Changes to a service's terms; omitted fields stay as they are."""

    category: str | None = Field(default=None, pattern=CATEGORY_PATTERN)
    name: LocalizedText | None = None
    description: LocalizedText | None = None
    order_unit: int | None = None
    max_quantity_per_order: int | None = None
    takes_phone_orders: bool | None = None
    order_fields: dict[str, Any] | None = None
    lead_time_business_days: int | None = None
    activation_notice: ActivationNoticeTiming | None = None
    requires_corporation: bool | None = None
    allows_account_transfer: bool | None = None
    free_first_month: bool | None = None
    cancellable_on_site: bool | None = None
    early_termination: EarlyTerminationRule | None = None
    minimum_term_months: int | None = None
    withdrawal_requires_contracts_ended: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the request set, as plain data (null means "leave as is")."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}
