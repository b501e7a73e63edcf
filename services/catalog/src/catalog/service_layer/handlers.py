"""Ops commands on the lineup (R28): each makes a version, audits it (R29) and
announces it with the full snapshot.

Every handler locks the service row, applies one rule of
``catalog.domain.model``, stores the new version, records the audit entry and
queues the event in the same transaction. The caller invalidates the public
cache after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bizmall_events.catalog import (
    ServicePublished,
    ServiceRetired,
    ServiceSnapshot,
    ServiceUpdated,
)
from catalog.domain import model
from catalog.domain.model import Plan, ServiceRuleViolation, ServiceTerms
from catalog.service_layer.unit_of_work import CatalogUnitOfWork

_EVENTS = {"published": ServicePublished, "updated": ServiceUpdated, "retired": ServiceRetired}


class ServiceNotFound(LookupError):
    """No service has the given id."""


async def _record(
    uow: CatalogUnitOfWork,
    *,
    before: ServiceSnapshot | None,
    after: ServiceSnapshot,
    actor: str,
    action: str,
    **details: Any,
) -> ServiceSnapshot:
    await uow.services.save(after, actor=actor)
    uow.audit(
        actor=actor,
        action=f"catalog.{action}",
        target=str(after.service_id),
        version=after.service_version,
        **details,
    )
    kind = model.event_kind(before.status if before else "draft", after.status)
    if kind is not None:
        uow.publish(
            _EVENTS[kind](
                service_id=after.service_id,
                aggregate_version=after.service_version,
                snapshot=after,
            )
        )
    await uow.commit()
    return after


async def create_service(
    uow: CatalogUnitOfWork,
    *,
    actor: str,
    service_id: uuid.UUID,
    slug: str,
    terms: ServiceTerms,
    plans: list[Plan],
) -> ServiceSnapshot:
    """Create a draft service (version 1)."""
    if await uow.services.slug_taken(slug) or await uow.services.current(service_id):
        raise ServiceRuleViolation(
            "catalog.service_exists",
            ja="同じ ID またはスラッグのサービスが既に存在します。",
            en="A service with this id or slug already exists.",
        )
    snapshot = model.new_service(service_id=service_id, slug=slug, terms=terms, plans=plans)
    return await _record(uow, before=None, after=snapshot, actor=actor, action="service.created")


async def _change(
    uow: CatalogUnitOfWork,
    service_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    rule: Callable[[ServiceSnapshot], ServiceSnapshot],
    **details: Any,
) -> ServiceSnapshot:
    current = await uow.services.current(service_id, for_update=True)
    if current is None:
        raise ServiceNotFound(service_id)
    return await _record(
        uow, before=current, after=rule(current), actor=actor, action=action, **details
    )


async def update_service(
    uow: CatalogUnitOfWork, service_id: uuid.UUID, *, actor: str, changes: dict[str, Any]
) -> ServiceSnapshot:
    """Edit a service's terms (``changes``: fields of ``ServiceTerms``)."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="service.updated",
        rule=lambda current: model.revise_terms(current, changes),
        fields=sorted(changes),
    )


async def publish_service(
    uow: CatalogUnitOfWork, service_id: uuid.UUID, *, actor: str
) -> ServiceSnapshot:
    """Put a draft (or retired) service on sale."""
    return await _change(
        uow, service_id, actor=actor, action="service.published", rule=model.publish
    )


async def retire_service(
    uow: CatalogUnitOfWork, service_id: uuid.UUID, *, actor: str
) -> ServiceSnapshot:
    """Take a service off sale; existing contracts continue on their versions."""
    return await _change(uow, service_id, actor=actor, action="service.retired", rule=model.retire)


async def add_plan(
    uow: CatalogUnitOfWork, service_id: uuid.UUID, *, actor: str, plan: Plan
) -> ServiceSnapshot:
    """Add a plan to a service."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="plan.added",
        rule=lambda current: model.add_plan(current, plan),
        plan_id=str(plan.plan_id),
    )


async def change_plan(
    uow: CatalogUnitOfWork, service_id: uuid.UUID, *, actor: str, plan: Plan
) -> ServiceSnapshot:
    """Change a plan's name or fees; orders on earlier versions keep theirs."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="plan.changed",
        rule=lambda current: model.change_plan(current, plan),
        plan_id=str(plan.plan_id),
    )


async def remove_plan(
    uow: CatalogUnitOfWork, service_id: uuid.UUID, *, actor: str, plan_id: uuid.UUID
) -> ServiceSnapshot:
    """Stop offering a plan; contracts on it keep their plan version."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="plan.removed",
        rule=lambda current: model.remove_plan(current, plan_id),
        plan_id=str(plan_id),
    )
