"""Ops management of the lineup (R28) under ``/api/v1/ops/catalog/services``.

Every change makes a new service version, is audited (R29) and — once the
service has been published — announced with the full snapshot. The public
cache is invalidated after each commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from bizmall_events.catalog import ServiceSnapshot
from catalog.api.deps import CacheDep, UowDep
from catalog.api.errors import INVALID_TERMS, problem_of
from catalog.api.schemas import (
    NewPlanInput,
    OpsServicePage,
    PlanInput,
    ServiceInput,
    ServicePatch,
    ServiceView,
)
from catalog.service_layer import handlers, queries
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/catalog/services", tags=["ops: catalog"])


async def _changed(cache: CacheDep, command: Awaitable[ServiceSnapshot]) -> ServiceView:
    try:
        snapshot = await command
    except INVALID_TERMS as exc:
        raise problem_of(exc) from None
    await cache.invalidate()
    return ServiceView.of(snapshot)


@router.get("", response_model=OpsServicePage)
async def list_all(
    ops: OpsOnly,
    uow: UowDep,
    status: Literal["draft", "published", "retired"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> OpsServicePage:
    """Every service in any state (or one ``status``), by slug."""
    page = await queries.list_services(
        uow=uow,
        statuses=(status,) if status else queries.EVERY_STATUS,
        limit=limit,
        cursor=cursor,
    )
    return OpsServicePage(
        items=[ServiceView.of(s) for s in page.items], next_cursor=page.next_cursor
    )


@router.get("/{service_id}", response_model=ServiceView)
async def get_current(ops: OpsOnly, uow: UowDep, service_id: uuid.UUID) -> ServiceView:
    """A service's latest version, drafts included."""
    return ServiceView.of(await queries.get_service(uow=uow, service_id=service_id))


@router.get("/{service_id}/versions/{version}", response_model=ServiceView)
async def get_version(
    ops: OpsOnly, uow: UowDep, service_id: uuid.UUID, version: Annotated[int, Path(ge=1)]
) -> ServiceView:
    """Any stored version, drafts included."""
    return ServiceView.of(
        await queries.get_version(uow=uow, service_id=service_id, version=version)
    )


@router.post("", response_model=ServiceView, status_code=201)
async def create(ops: OpsOnly, uow: UowDep, cache: CacheDep, body: ServiceInput) -> ServiceView:
    """Create a draft service (version 1)."""
    return await _changed(
        cache,
        handlers.create_service(
            uow=uow,
            actor=ops.subject,
            service_id=body.id,
            slug=body.slug,
            terms=body.terms(),
            plans=[p.as_new_plan() for p in body.plans],
        ),
    )


@router.patch("/{service_id}", response_model=ServiceView)
async def update(
    ops: OpsOnly, uow: UowDep, cache: CacheDep, service_id: uuid.UUID, body: ServicePatch
) -> ServiceView:
    """Edit a service's terms: a new version."""
    return await _changed(
        cache,
        handlers.update_service(
            uow=uow, service_id=service_id, actor=ops.subject, changes=body.changes()
        ),
    )


@router.post("/{service_id}/publish", response_model=ServiceView)
async def publish(ops: OpsOnly, uow: UowDep, cache: CacheDep, service_id: uuid.UUID) -> ServiceView:
    """Put a draft or retired service on sale."""
    return await _changed(
        cache, handlers.publish_service(uow=uow, service_id=service_id, actor=ops.subject)
    )


@router.post("/{service_id}/retire", response_model=ServiceView)
async def retire(ops: OpsOnly, uow: UowDep, cache: CacheDep, service_id: uuid.UUID) -> ServiceView:
    """Take a service off sale; its versions stay readable."""
    return await _changed(
        cache, handlers.retire_service(uow=uow, service_id=service_id, actor=ops.subject)
    )


@router.post("/{service_id}/plans", response_model=ServiceView, status_code=201)
async def add_plan(
    ops: OpsOnly, uow: UowDep, cache: CacheDep, service_id: uuid.UUID, body: NewPlanInput
) -> ServiceView:
    """Add a plan: a new service version."""
    return await _changed(
        cache,
        handlers.add_plan(
            uow=uow, service_id=service_id, actor=ops.subject, plan=body.as_new_plan()
        ),
    )


@router.put("/{service_id}/plans/{plan_id}", response_model=ServiceView)
async def change_plan(
    ops: OpsOnly,
    uow: UowDep,
    cache: CacheDep,
    service_id: uuid.UUID,
    plan_id: uuid.UUID,
    body: PlanInput,
) -> ServiceView:
    """Change a plan's name or fees: new plan version ids, the old ones stay readable."""
    return await _changed(
        cache,
        handlers.change_plan(
            uow=uow, service_id=service_id, actor=ops.subject, plan=body.as_plan(plan_id)
        ),
    )


@router.delete("/{service_id}/plans/{plan_id}", response_model=ServiceView)
async def remove_plan(
    ops: OpsOnly, uow: UowDep, cache: CacheDep, service_id: uuid.UUID, plan_id: uuid.UUID
) -> ServiceView:
    """Stop offering a plan: a new service version without it."""
    return await _changed(
        cache,
        handlers.remove_plan(uow=uow, service_id=service_id, actor=ops.subject, plan_id=plan_id),
    )
