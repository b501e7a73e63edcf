"""Events published by catalog: the lineup and every service's rules (SPEC §4, R13, R28).

Consumers: ordering keeps a copy of each service version (plans, order fields,
lead time, quantity rules, corporation requirement) to validate orders
locally; billing keeps the billing terms (free first month, account transfer).
Every event carries the whole service snapshot, so a copy is replaced, never patched.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from bizmall_events.aggregate import AggregateEvent
from bizmall_events.values import LocalizedText, ValueModel, Yen

#: A service's life cycle; only published services can be ordered.
ServiceStatus = Literal["draft", "published", "retired"]


class OnActivation(ValueModel):
    """The activation notice goes out when ops activate the order (R18)."""

    kind: Literal["on_activation"] = "on_activation"


class BusinessDaysBeforeStart(ValueModel):
    """The activation notice goes out ``business_days`` business days before the
    planned start date (R18)."""

    kind: Literal["business_days_before_start"] = "business_days_before_start"
    business_days: int = Field(ge=1)


#: When a service's activation notice (開通のお知らせ) is due.
ActivationNoticeTiming = Annotated[
    OnActivation | BusinessDaysBeforeStart, Field(discriminator="kind")
]


class NoTerminationFee(ValueModel):
    """Cancelling mid-term costs nothing."""

    kind: Literal["none"] = "none"


class FixedTerminationFee(ValueModel):
    """Cancelling before the minimum term ends costs a fixed amount (tax-exempt, R20)."""

    kind: Literal["fixed"] = "fixed"
    amount: Yen = Field(gt=0)


class RemainingMonthsTerminationFee(ValueModel):
    """Cancelling costs the monthly fee × quantity for each month of the minimum
    term left after the end month, a started month counting as whole (R20)."""

    kind: Literal["remaining_months"] = "remaining_months"


#: A service's early termination fee rule (R20).
EarlyTerminationRule = Annotated[
    NoTerminationFee | FixedTerminationFee | RemainingMonthsTerminationFee,
    Field(discriminator="kind"),
]


class PlanSnapshot(ValueModel):
    """One plan of a service at one version; orders record ``plan_version_id`` (R28)."""

    plan_id: uuid.UUID
    plan_version_id: uuid.UUID
    name: LocalizedText
    #: Tax-exclusive, per unit of quantity.
    monthly_fee: Yen
    #: Tax-exclusive, once per contract, on its first invoice (R23).
    initial_fee: Yen


class ServiceSnapshot(ValueModel):
    """A service with every flag of SPEC §4, as of ``service_version``."""

    service_id: uuid.UUID
    service_version: int = Field(ge=1)
    slug: str
    status: ServiceStatus
    category: str
    name: LocalizedText
    description: LocalizedText
    plans: tuple[PlanSnapshot, ...]
    #: Quantities must be a multiple of this (R14).
    order_unit: int = Field(ge=1)
    #: Larger orders are refused, pointing to the phone when ``takes_phone_orders`` (R14).
    max_quantity_per_order: int = Field(ge=1)
    takes_phone_orders: bool
    #: The service's own order fields as a JSON Schema document (R13).
    order_fields: dict[str, Any]
    lead_time_business_days: int = Field(ge=0)
    activation_notice: ActivationNoticeTiming
    #: A sole proprietor cannot order it (R12).
    requires_corporation: bool
    #: Its invoices may be paid by account transfer (R21).
    allows_account_transfer: bool
    #: Nothing is billed for the start month (R23).
    free_first_month: bool
    #: Mid-term cancellation on the site (R20); otherwise the contact center.
    cancellable_on_site: bool
    early_termination: EarlyTerminationRule
    minimum_term_months: int = Field(ge=0)
    #: A member cannot withdraw while a contract of this service has not ended (R11).
    withdrawal_requires_contracts_ended: bool

    @model_validator(mode="after")
    def _quantity_rules_agree(self) -> ServiceSnapshot:
        if self.max_quantity_per_order < self.order_unit:
            raise ValueError("max_quantity_per_order is below the order unit")
        return self

    def plan(self, plan_id: uuid.UUID) -> PlanSnapshot | None:
        """The plan with ``plan_id``, or None when this version has no such plan."""
        return next((p for p in self.plans if p.plan_id == plan_id), None)


class _ServiceEvent(AggregateEvent):
    AGGREGATE_ID_FIELD: ClassVar[str] = "service_id"

    service_id: uuid.UUID
    snapshot: ServiceSnapshot

    @model_validator(mode="after")
    def _snapshot_is_this_service_version(self) -> _ServiceEvent:
        if self.snapshot.service_id != self.service_id:
            raise ValueError("snapshot is of another service")
        if self.snapshot.service_version != self.aggregate_version:
            raise ValueError("aggregate_version must equal the snapshot's service_version")
        return self


class ServicePublished(_ServiceEvent):
    """Ops published a service: it can be ordered. catalog → ordering, billing."""

    TYPE: ClassVar[str] = "catalog.service.published"


class ServiceUpdated(_ServiceEvent):
    """Ops changed a service or its plans: a new version, old orders keep theirs (R28).
    catalog → ordering, billing."""

    TYPE: ClassVar[str] = "catalog.service.updated"


class ServiceRetired(_ServiceEvent):
    """Ops retired a service: no new orders; existing contracts continue.
    catalog → ordering, billing."""

    TYPE: ClassVar[str] = "catalog.service.retired"
