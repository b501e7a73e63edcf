"""Ops commands on the lineup (R28): each makes a version, audits it (R29) and —
once the service has been published — announces it with the full snapshot.

Every handler opens its unit of work, locks the service, applies one transition
of the :class:`~catalog.domain.model.Service` aggregate (which records the
event), stores the new version and the audit entry, and commits: version,
audit entry and event in one transaction. The caller invalidates the public
cache after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bizmall_events.catalog import ServiceSnapshot
from catalog.domain.errors import ServiceNotFound, ServiceRuleViolation
from catalog.domain.model import Plan, Service, ServiceTerms
from catalog.service_layer.unit_of_work import CatalogUnitOfWork


async def _stored(
    uow: CatalogUnitOfWork, service: Service, *, actor: str, action: str, **details: Any
) -> ServiceSnapshot:
    await uow.services.save(service, actor=actor)
    uow.audit(
        actor=actor,
        action=f"catalog.{action}",
        target=str(service.service_id),
        # A plan's change is a change of its service (R34's entity filter).
        entity="service",
        version=service.current.service_version,
        **details,
    )
    await uow.commit()
    return service.current


async def create_service(
    *,
    uow: CatalogUnitOfWork,
    actor: str,
    service_id: uuid.UUID,
    slug: str,
    terms: ServiceTerms,
    plans: list[Plan],
) -> ServiceSnapshot:
    """Create a draft service (version 1)."""
    async with uow:
        if await uow.services.slug_taken(slug) or await uow.services.current(service_id):
            raise ServiceRuleViolation(
                "catalog.service_exists",
                ja="同じ ID またはスラッグのサービスが既に存在します。",
                en="A service with this id or slug already exists.",
            )
        service = Service.create(service_id=service_id, slug=slug, terms=terms, plans=plans)
        return await _stored(uow, service, actor=actor, action="service.created")


async def _change(
    uow: CatalogUnitOfWork,
    service_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    transition: Callable[[Service], object],
    **details: Any,
) -> ServiceSnapshot:
    async with uow:
        service = await uow.services.get(service_id)
        if service is None:
            raise ServiceNotFound(service_id)
        transition(service)
        return await _stored(uow, service, actor=actor, action=action, **details)


async def update_service(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, actor: str, changes: dict[str, Any]
) -> ServiceSnapshot:
    """Edit a service's terms (``changes``: fields of ``ServiceTerms``)."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="service.updated",
        transition=lambda service: service.revise_terms(changes),
        fields=sorted(changes),
    )


async def publish_service(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, actor: str
) -> ServiceSnapshot:
    """Put a draft (or retired) service on sale."""
    return await _change(
        uow, service_id, actor=actor, action="service.published", transition=Service.publish
    )


async def retire_service(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, actor: str
) -> ServiceSnapshot:
    """Take a service off sale; existing contracts continue on their versions."""
    return await _change(
        uow, service_id, actor=actor, action="service.retired", transition=Service.retire
    )


async def add_plan(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, actor: str, plan: Plan
) -> ServiceSnapshot:
    """Add a plan to a service."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="plan.added",
        transition=lambda service: service.add_plan(plan),
        plan_id=str(plan.plan_id),
    )


async def change_plan(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, actor: str, plan: Plan
) -> ServiceSnapshot:
    """Change a plan's name or fees; orders on earlier versions keep theirs."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="plan.changed",
        transition=lambda service: service.change_plan(plan),
        plan_id=str(plan.plan_id),
    )


async def remove_plan(
    *, uow: CatalogUnitOfWork, service_id: uuid.UUID, actor: str, plan_id: uuid.UUID
) -> ServiceSnapshot:
    """Stop offering a plan; contracts on it keep their plan version."""
    return await _change(
        uow,
        service_id,
        actor=actor,
        action="plan.removed",
        transition=lambda service: service.remove_plan(plan_id),
        plan_id=str(plan_id),
    )
