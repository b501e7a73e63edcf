"""The service aggregate: its terms, its plans and its versions (SPEC §4, R28).

A service is a chain of immutable snapshots (``bizmall_events.catalog.
ServiceSnapshot``, the same shape ordering and billing keep). Every change —
an edit, a plan added, changed or removed, publishing, retiring — makes the
next version; earlier versions are never modified, so an order that recorded a
``plan_version_id`` keeps the price and terms in force when it was placed.

The :class:`Service` aggregate makes each version by one transition method,
which checks the rule and records the event announcing the version (drafts are
announced to nobody).

A ``plan_version_id`` names one plan *within one service version*: it is
minted afresh for every plan at every version (derived from the plan id and
the version number, so it is deterministic). It therefore pins the plan's fees
and every service-level term (minimum term, termination fee, …); ordering
answers 409 when a client orders with one that is no longer current.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, ValidationError, model_validator

from bizmall_events.catalog import (
    ActivationNoticeTiming,
    EarlyTerminationRule,
    PlanSnapshot,
    ServicePublished,
    ServiceRetired,
    ServiceSnapshot,
    ServiceStatus,
    ServiceUpdated,
)
from bizmall_events.values import LocalizedText, ValueModel, Yen
from catalog.domain.errors import InvalidServiceTerms, ServiceRuleViolation
from catalog.domain.order_fields import check_order_fields
from servicekit.aggregate import Aggregate

#: Namespace of the deterministic plan version ids.
PLAN_VERSION_NAMESPACE = uuid.UUID("5b0f6f39-6c1e-4f0e-9a51-3f1f5d7c2a10")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class ServiceTerms(ValueModel):
    """Everything ops edit about a service except its plans (SPEC §4)."""

    category: str = Field(pattern=CATEGORY_PATTERN)
    name: LocalizedText
    description: LocalizedText
    order_unit: int = Field(ge=1, le=10_000)
    max_quantity_per_order: int = Field(ge=1, le=100_000)
    takes_phone_orders: bool
    order_fields: dict[str, Any]
    lead_time_business_days: int = Field(ge=0, le=120)
    activation_notice: ActivationNoticeTiming
    requires_corporation: bool
    allows_account_transfer: bool
    free_first_month: bool
    cancellable_on_site: bool
    early_termination: EarlyTerminationRule
    minimum_term_months: int = Field(ge=0, le=120)
    withdrawal_requires_contracts_ended: bool

    @model_validator(mode="after")
    def _terms_agree(self) -> ServiceTerms:
        if self.max_quantity_per_order < self.order_unit:
            raise ValueError("max_quantity_per_order is below the order unit")
        if self.early_termination.kind != "none" and self.minimum_term_months == 0:
            raise ValueError("an early termination fee needs a minimum term")
        return self


class Plan(ValueModel):
    """A plan's own content; its version id is assigned per service version."""

    plan_id: uuid.UUID
    name: LocalizedText
    monthly_fee: Yen
    initial_fee: Yen


def plan_version_id(plan_id: uuid.UUID, service_version: int) -> uuid.UUID:
    """The id of ``plan_id`` as it stands in ``service_version``."""
    return uuid.uuid5(PLAN_VERSION_NAMESPACE, f"{plan_id}:{service_version}")


def event_kind(before: ServiceStatus, after: ServiceStatus) -> str | None:
    """Which event a change from ``before`` to ``after`` announces, or None.

    Drafts are nobody's business but ops': ordering and billing hear of a
    service when it is published, and of every later version.
    """
    if after == "published" and before != "published":
        return "published"
    if after == "retired" and before != "retired":
        return "retired"
    if after == "published":
        return "updated"
    return None


_ANNOUNCEMENTS: dict[str, type[ServicePublished | ServiceUpdated | ServiceRetired]] = {
    "published": ServicePublished,
    "updated": ServiceUpdated,
    "retired": ServiceRetired,
}


@dataclass(eq=False)
class Service(Aggregate):
    """A service as its latest version, changed only through its transitions.

    Each transition returns the next version; the versions made since the
    service was loaded wait in :meth:`collect_new_versions` for the repository,
    the events announcing them in :meth:`collect_events` for the unit of work.
    """

    current: ServiceSnapshot
    _new_versions: list[ServiceSnapshot] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls, *, service_id: uuid.UUID, slug: str, terms: ServiceTerms, plans: list[Plan]
    ) -> Service:
        """A new service: version 1, a draft (announced to nobody).

        Raises :class:`~catalog.domain.order_fields.InvalidOrderFields` for order
        fields outside the subset, :class:`InvalidServiceTerms` for two plans
        with one id.
        """
        check_order_fields(terms.order_fields)
        _require_distinct_plans(plans)
        first = _snapshot(
            service_id=service_id, version=1, slug=slug, status="draft", terms=terms, plans=plans
        )
        service = cls(current=first)
        service._new_versions.append(first)
        return service

    @property
    def service_id(self) -> uuid.UUID:
        return self.current.service_id

    def collect_new_versions(self) -> list[ServiceSnapshot]:
        """Hand over (and forget) the versions made since the last call, oldest first."""
        versions = list(self._new_versions)
        self._new_versions.clear()
        return versions

    def revise_terms(self, changes: dict[str, Any]) -> ServiceSnapshot:
        """The next version with ``changes`` (a subset of ``ServiceTerms`` fields) applied.

        Raises :class:`InvalidServiceTerms` when the merged terms do not hold
        together (pydantic's errors are kept as the cause), ``InvalidOrderFields``
        for order fields outside the subset, :class:`ServiceRuleViolation` for a
        retired service.
        """
        self._require_editable()
        try:
            terms = ServiceTerms.model_validate({**_terms_of(self.current), **changes})
        except ValidationError as exc:
            raise InvalidServiceTerms(str(exc)) from exc
        if "order_fields" in changes:
            check_order_fields(terms.order_fields)
        return self._next(terms=terms)

    def add_plan(self, plan: Plan) -> ServiceSnapshot:
        """The next version with ``plan`` added."""
        self._require_editable()
        plans = [*_plans_of(self.current), plan]
        _require_distinct_plans(plans)
        return self._next(plans=plans)

    def change_plan(self, plan: Plan) -> ServiceSnapshot:
        """The next version with the plan of the same ``plan_id`` replaced by ``plan``."""
        self._require_editable()
        self._require_plan(plan.plan_id)
        plans = [plan if p.plan_id == plan.plan_id else p for p in _plans_of(self.current)]
        return self._next(plans=plans)

    def remove_plan(self, plan_id: uuid.UUID) -> ServiceSnapshot:
        """The next version without the plan ``plan_id`` (contracts on it keep their version)."""
        self._require_editable()
        self._require_plan(plan_id)
        plans = [p for p in _plans_of(self.current) if p.plan_id != plan_id]
        _require_plans_if_published(self.current.status, plans)
        return self._next(plans=plans)

    def publish(self) -> ServiceSnapshot:
        """The next version, published: a draft goes on sale, a retired service returns."""
        if self.current.status == "published":
            raise ServiceRuleViolation(
                "catalog.already_published",
                ja="このサービスは既に公開されています。",
                en="The service is already published.",
            )
        _require_plans_if_published("published", _plans_of(self.current))
        return self._next(status="published")

    def retire(self) -> ServiceSnapshot:
        """The next version, retired: no new orders, existing contracts continue."""
        if self.current.status != "published":
            raise ServiceRuleViolation(
                "catalog.not_published",
                ja="公開中のサービスのみ提供終了にできます。",
                en="Only a published service can be retired.",
            )
        return self._next(status="retired")

    def _next(
        self,
        *,
        status: ServiceStatus | None = None,
        terms: ServiceTerms | None = None,
        plans: list[Plan] | None = None,
    ) -> ServiceSnapshot:
        before = self.current
        after = _snapshot(
            service_id=before.service_id,
            version=before.service_version + 1,
            slug=before.slug,
            status=status or before.status,
            terms=terms or ServiceTerms.model_validate(_terms_of(before)),
            plans=_plans_of(before) if plans is None else plans,
        )
        self.current = after
        self._new_versions.append(after)
        kind = event_kind(before.status, after.status)
        if kind is not None:
            self.record(
                _ANNOUNCEMENTS[kind](
                    service_id=after.service_id,
                    aggregate_version=after.service_version,
                    snapshot=after,
                )
            )
        return after

    def _require_editable(self) -> None:
        if self.current.status == "retired":
            raise ServiceRuleViolation(
                "catalog.service_retired",
                ja="提供終了したサービスは変更できません。",
                en="A retired service cannot be changed.",
            )

    def _require_plan(self, plan_id: uuid.UUID) -> None:
        if self.current.plan(plan_id) is None:
            raise ServiceRuleViolation(
                "catalog.plan_not_found",
                ja="指定されたプランはこのサービスにありません。",
                en="The service has no such plan.",
            )


def _terms_of(snapshot: ServiceSnapshot) -> dict[str, Any]:
    return snapshot.model_dump(include=set(ServiceTerms.model_fields))


def _plans_of(snapshot: ServiceSnapshot) -> list[Plan]:
    return [
        Plan(plan_id=p.plan_id, name=p.name, monthly_fee=p.monthly_fee, initial_fee=p.initial_fee)
        for p in snapshot.plans
    ]


def _snapshot(
    *,
    service_id: uuid.UUID,
    version: int,
    slug: str,
    status: ServiceStatus,
    terms: ServiceTerms,
    plans: list[Plan],
) -> ServiceSnapshot:
    return ServiceSnapshot(
        service_id=service_id,
        service_version=version,
        slug=slug,
        status=status,
        plans=tuple(
            PlanSnapshot(
                plan_id=p.plan_id,
                plan_version_id=plan_version_id(p.plan_id, version),
                name=p.name,
                monthly_fee=p.monthly_fee,
                initial_fee=p.initial_fee,
            )
            for p in plans
        ),
        **terms.model_dump(),
    )


def _require_distinct_plans(plans: list[Plan]) -> None:
    if len({p.plan_id for p in plans}) != len(plans):
        raise InvalidServiceTerms("two plans share one plan_id")


def _require_plans_if_published(status: ServiceStatus, plans: list[Plan]) -> None:
    if status == "published" and not plans:
        raise ServiceRuleViolation(
            "catalog.no_plans",
            ja="公開中のサービスには少なくとも 1 つのプランが必要です。",
            en="A published service needs at least one plan.",
        )
