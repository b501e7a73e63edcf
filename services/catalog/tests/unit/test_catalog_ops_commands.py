"""R28, R29, R13, R14: the ops commands on the lineup, run with a fake unit of work.

Each command makes one immutable version, one audit entry and — once the
service has been published — one event built by the ``Service`` aggregate, in
one commit; a refused command commits nothing. No database is reached.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from pydantic import ValidationError

from bizmall_events.catalog import (
    ServicePublished,
    ServiceRetired,
    ServiceSnapshot,
    ServiceUpdated,
)
from catalog.domain.errors import InvalidServiceTerms, ServiceNotFound, ServiceRuleViolation
from catalog.domain.model import plan_version_id
from catalog.domain.order_fields import InvalidOrderFields
from catalog.service_layer import handlers
from jpcalendar import JST
from servicekit.errors import Conflict, NotFound

from .builders import plan, terms
from .fakes import FakeCatalogUnitOfWork

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
OPS = "ops-7"
SEATS = {
    "type": "object",
    "properties": {"seats": {"type": "integer", "title": "席数", "x-title-en": "Seats"}},
    "required": ["seats"],
    "additionalProperties": False,
}


@pytest.fixture
def uow() -> FakeCatalogUnitOfWork:
    return FakeCatalogUnitOfWork(now=NOW)


async def _create(
    uow: FakeCatalogUnitOfWork, *, slug: str = "cloud-pbx", plans: int = 1, **changes: object
) -> uuid.UUID:
    service_id = uuid.uuid4()
    await handlers.create_service(
        uow=uow,
        actor=OPS,
        service_id=service_id,
        slug=slug,
        terms=terms(**changes),
        plans=[plan() for _ in range(plans)],
    )
    return service_id


async def _published(uow: FakeCatalogUnitOfWork, **changes: object) -> uuid.UUID:
    service_id = await _create(uow, **changes)
    await handlers.publish_service(uow=uow, service_id=service_id, actor=OPS)
    return service_id


async def _edit(
    uow: FakeCatalogUnitOfWork,
    service_id: uuid.UUID,
    changes: dict[str, object],
    *,
    actor: str = OPS,
) -> ServiceSnapshot:
    return await handlers.update_service(
        uow=uow, service_id=service_id, actor=actor, changes=changes
    )


def _stored_versions(uow: FakeCatalogUnitOfWork, service_id: uuid.UUID) -> list[int]:
    return sorted(v for sid, v in uow.services.versions if sid == service_id)


# --- create a draft ----------------------------------------------------------------


async def test_r28_a_created_service_is_a_draft_at_version_1_announced_to_nobody(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _create(uow)
    current = await uow.services.current(service_id)
    assert current is not None
    assert (current.status, current.service_version, current.slug) == ("draft", 1, "cloud-pbx")
    assert _stored_versions(uow, service_id) == [1]
    assert uow.events == []
    assert uow.committed == 1


async def test_r29_creating_a_service_is_audited_with_who_what_and_when(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _create(uow)
    [entry] = uow.audited("catalog.service.created")
    assert (entry.actor, entry.target, entry.details) == (OPS, str(service_id), {"version": 1})
    assert entry.at == NOW
    assert uow.services.authors[(service_id, 1)] == OPS


async def test_r28_a_slug_already_taken_is_refused_and_nothing_is_committed(
    uow: FakeCatalogUnitOfWork,
) -> None:
    await _create(uow, slug="cloud-pbx")
    with pytest.raises(ServiceRuleViolation) as refused:
        await _create(uow, slug="cloud-pbx")
    assert isinstance(refused.value, Conflict)
    assert refused.value.code == "catalog.service_exists"
    assert len(uow.services) == 1
    assert (uow.committed, uow.rollbacks) == (1, 1)


async def test_r28_an_id_already_taken_is_refused(uow: FakeCatalogUnitOfWork) -> None:
    service_id = await _create(uow, slug="first")
    with pytest.raises(ServiceRuleViolation) as refused:
        await handlers.create_service(
            uow=uow, actor=OPS, service_id=service_id, slug="second", terms=terms(), plans=[]
        )
    assert refused.value.code == "catalog.service_exists"
    assert not await uow.services.slug_taken("second")


async def test_r28_two_plans_with_one_id_are_refused_on_create(
    uow: FakeCatalogUnitOfWork,
) -> None:
    twin = plan()
    with pytest.raises(InvalidServiceTerms):
        await handlers.create_service(
            uow=uow,
            actor=OPS,
            service_id=uuid.uuid4(),
            slug="twins",
            terms=terms(),
            plans=[twin, twin],
        )
    assert len(uow.services) == 0 and uow.audit_log == []


# --- order-field definitions (R13) ----------------------------------------------


async def test_r13_order_fields_outside_the_subset_are_refused_on_create_with_every_problem(
    uow: FakeCatalogUnitOfWork,
) -> None:
    bad = {
        "type": "object",
        "properties": {"x": {"type": "number", "title": "x", "x-title-en": "x"}},
        "additionalProperties": True,
    }
    with pytest.raises(InvalidOrderFields) as refused:
        await _create(uow, order_fields=bad)
    assert {p.path for p in refused.value.problems} == {
        "/additionalProperties",
        "/properties/x/type",
    }
    assert len(uow.services) == 0 and uow.committed == 0


async def test_r13_an_edit_defining_order_fields_is_kept_in_the_next_version(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    edited = await _edit(uow, service_id, {"order_fields": SEATS})
    assert edited.order_fields == SEATS
    earlier = await uow.services.version(service_id, 2)
    assert earlier is not None and earlier.order_fields["properties"] == {}
    [event] = uow.events_of(ServiceUpdated)
    assert event.snapshot.order_fields == SEATS


async def test_r13_an_edit_to_order_fields_outside_the_subset_is_refused(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    bad = {**SEATS, "required": ["seats", "seats"]}
    with pytest.raises(InvalidOrderFields) as refused:
        await _edit(uow, service_id, {"order_fields": bad})
    assert [p.path for p in refused.value.problems] == ["/required"]
    assert _stored_versions(uow, service_id) == [1, 2]
    assert uow.events_of(ServiceUpdated) == []


# --- edit terms -------------------------------------------------------------------


async def test_r28_an_edit_of_a_published_service_announces_the_new_snapshot(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    edited = await _edit(uow, service_id, {"lead_time_business_days": 7})
    assert (edited.service_version, edited.lead_time_business_days) == (3, 7)
    [event] = uow.events_of(ServiceUpdated)
    assert (event.service_id, event.aggregate_version) == (service_id, 3)
    assert event.snapshot == edited


async def test_r28_an_edit_leaves_the_earlier_version_as_it_was(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    await _edit(uow, service_id, {"name": {"ja": "改名", "en": "Renamed"}})
    before = await uow.services.version(service_id, 2)
    after = await uow.services.version(service_id, 3)
    assert before is not None and after is not None
    assert (before.name.en, after.name.en) == ("Test", "Renamed")


async def test_r28_an_edit_of_a_draft_makes_a_version_but_announces_nothing(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _create(uow)
    edited = await _edit(uow, service_id, {"takes_phone_orders": False})
    assert (edited.status, edited.service_version, edited.takes_phone_orders) == (
        "draft",
        2,
        False,
    )
    assert uow.events == []


async def test_r29_an_edit_is_audited_with_the_fields_it_changed(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    await _edit(uow, service_id, {"order_unit": 2, "category": "network"}, actor="ops-9")
    [entry] = uow.audited("catalog.service.updated")
    assert entry.actor == "ops-9"
    assert entry.details == {"version": 3, "fields": ["category", "order_unit"]}


async def test_r14_an_edit_leaving_the_maximum_below_the_order_unit_is_refused(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    with pytest.raises(InvalidServiceTerms) as refused:
        await _edit(uow, service_id, {"order_unit": 20})
    assert isinstance(refused.value.__cause__, ValidationError)
    current = await uow.services.current(service_id)
    assert current is not None and (current.service_version, current.order_unit) == (2, 1)
    assert uow.audited("catalog.service.updated") == []


async def test_r20_a_termination_fee_without_a_minimum_term_is_refused_on_edit(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    with pytest.raises(InvalidServiceTerms):
        await _edit(uow, service_id, {"early_termination": {"kind": "fixed", "amount": 5000}})
    assert _stored_versions(uow, service_id) == [1, 2]


async def test_r28_a_retired_service_cannot_be_edited(uow: FakeCatalogUnitOfWork) -> None:
    service_id = await _published(uow)
    await handlers.retire_service(uow=uow, service_id=service_id, actor=OPS)
    with pytest.raises(ServiceRuleViolation) as refused:
        await _edit(uow, service_id, {"lead_time_business_days": 1})
    assert refused.value.code == "catalog.service_retired"
    assert _stored_versions(uow, service_id) == [1, 2, 3]


async def test_r28_editing_an_unknown_service_is_not_found(uow: FakeCatalogUnitOfWork) -> None:
    missing = uuid.uuid4()
    with pytest.raises(ServiceNotFound) as refused:
        await _edit(uow, missing, {"order_unit": 1})
    assert isinstance(refused.value, NotFound)
    assert refused.value.code == "catalog.service_not_found"
    assert refused.value.en == f"No such service: {missing}."
    assert uow.committed == 0


# --- publish ----------------------------------------------------------------------


async def test_r28_publishing_a_draft_makes_version_2_and_announces_service_published(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _create(uow)
    published = await handlers.publish_service(uow=uow, service_id=service_id, actor=OPS)
    assert (published.status, published.service_version) == ("published", 2)
    [event] = uow.events
    assert isinstance(event, ServicePublished)
    assert (event.aggregate_version, event.snapshot) == (2, published)
    [entry] = uow.audited("catalog.service.published")
    assert (entry.actor, entry.target, entry.details) == (OPS, str(service_id), {"version": 2})


async def test_r28_a_service_without_plans_cannot_be_published(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _create(uow, plans=0)
    with pytest.raises(ServiceRuleViolation) as refused:
        await handlers.publish_service(uow=uow, service_id=service_id, actor=OPS)
    assert refused.value.code == "catalog.no_plans"
    assert uow.events == [] and _stored_versions(uow, service_id) == [1]


async def test_r28_publishing_a_published_service_is_a_conflict(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    with pytest.raises(ServiceRuleViolation) as refused:
        await handlers.publish_service(uow=uow, service_id=service_id, actor=OPS)
    assert isinstance(refused.value, Conflict)
    assert (refused.value.code, refused.value.en) == (
        "catalog.already_published",
        "The service is already published.",
    )
    assert len(uow.events_of(ServicePublished)) == 1


async def test_r28_a_retired_service_returns_to_sale_announced_as_published(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    await handlers.retire_service(uow=uow, service_id=service_id, actor=OPS)
    again = await handlers.publish_service(uow=uow, service_id=service_id, actor=OPS)
    assert (again.status, again.service_version) == ("published", 4)
    assert [e.aggregate_version for e in uow.events_of(ServicePublished)] == [2, 4]


# --- plans and plan versions ------------------------------------------------------


async def test_r28_an_added_plan_gets_a_plan_version_id_of_the_new_version(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    pro = plan(3000, 0, en="Pro")
    added = await handlers.add_plan(uow=uow, service_id=service_id, actor=OPS, plan=pro)
    new = added.plan(pro.plan_id)
    assert new is not None and new.plan_version_id == plan_version_id(pro.plan_id, 3)
    [entry] = uow.audited("catalog.plan.added")
    assert entry.details == {"version": 3, "plan_id": str(pro.plan_id)}
    assert [e.aggregate_version for e in uow.events_of(ServiceUpdated)] == [3]


async def test_r28_a_plan_with_an_id_the_service_has_is_refused(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    current = await uow.services.current(service_id)
    assert current is not None
    existing = current.plans[0]
    with pytest.raises(InvalidServiceTerms):
        await handlers.add_plan(
            uow=uow,
            service_id=service_id,
            actor=OPS,
            plan=plan().model_copy(update={"plan_id": existing.plan_id}),
        )
    assert _stored_versions(uow, service_id) == [1, 2]


async def test_r28_a_changed_plan_keeps_the_old_price_in_the_earlier_version(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    v2 = await uow.services.current(service_id)
    assert v2 is not None
    old = v2.plans[0]
    changed = await handlers.change_plan(
        uow=uow,
        service_id=service_id,
        actor=OPS,
        plan=plan(1500, 500).model_copy(update={"plan_id": old.plan_id}),
    )
    new = changed.plan(old.plan_id)
    assert new is not None and (new.monthly_fee, old.monthly_fee) == (1500, 1000)
    assert new.plan_version_id != old.plan_version_id
    kept = await uow.services.version(service_id, 2)
    assert kept is not None and kept.plans[0] == old
    assert uow.audited("catalog.plan.changed")[0].details["plan_id"] == str(old.plan_id)


async def test_r28_changing_a_plan_the_service_does_not_have_is_refused(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    with pytest.raises(ServiceRuleViolation) as refused:
        await handlers.change_plan(uow=uow, service_id=service_id, actor=OPS, plan=plan())
    assert refused.value.code == "catalog.plan_not_found"
    assert uow.audited("catalog.plan.changed") == []


async def test_r28_a_removed_plan_stays_in_the_versions_orders_point_at(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow, plans=2)
    v2 = await uow.services.current(service_id)
    assert v2 is not None
    gone = v2.plans[0].plan_id
    removed = await handlers.remove_plan(uow=uow, service_id=service_id, actor=OPS, plan_id=gone)
    assert removed.plan(gone) is None and len(removed.plans) == 1
    kept = await uow.services.version(service_id, 2)
    assert kept is not None and kept.plan(gone) is not None
    [entry] = uow.audited("catalog.plan.removed")
    assert entry.details == {"version": 3, "plan_id": str(gone)}


async def test_r28_the_last_plan_of_a_published_service_cannot_be_removed(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    current = await uow.services.current(service_id)
    assert current is not None
    with pytest.raises(ServiceRuleViolation) as refused:
        await handlers.remove_plan(
            uow=uow, service_id=service_id, actor=OPS, plan_id=current.plans[0].plan_id
        )
    assert refused.value.code == "catalog.no_plans"


async def test_r28_the_last_plan_of_a_draft_can_be_removed(uow: FakeCatalogUnitOfWork) -> None:
    service_id = await _create(uow)
    current = await uow.services.current(service_id)
    assert current is not None
    emptied = await handlers.remove_plan(
        uow=uow, service_id=service_id, actor=OPS, plan_id=current.plans[0].plan_id
    )
    assert (emptied.plans, emptied.service_version) == ((), 2)
    assert uow.events == []


# --- retire -----------------------------------------------------------------------


async def test_r28_retiring_announces_service_retired_and_keeps_every_version(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    retired = await handlers.retire_service(uow=uow, service_id=service_id, actor=OPS)
    assert (retired.status, retired.service_version) == ("retired", 3)
    [event] = uow.events_of(ServiceRetired)
    assert event.snapshot == retired
    assert _stored_versions(uow, service_id) == [1, 2, 3]
    assert len(uow.audited("catalog.service.retired")) == 1


async def test_r28_only_a_published_service_can_be_retired(uow: FakeCatalogUnitOfWork) -> None:
    service_id = await _create(uow)
    with pytest.raises(ServiceRuleViolation) as refused:
        await handlers.retire_service(uow=uow, service_id=service_id, actor=OPS)
    assert refused.value.code == "catalog.not_published"
    assert uow.events_of(ServiceRetired) == []


# --- versions kept, audit and events together ---------------------------------------


async def test_r28_each_command_is_one_version_one_audit_entry_and_one_commit(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    await _edit(uow, service_id, {"free_first_month": True})
    await handlers.add_plan(uow=uow, service_id=service_id, actor=OPS, plan=plan())
    await handlers.retire_service(uow=uow, service_id=service_id, actor=OPS)
    assert _stored_versions(uow, service_id) == [1, 2, 3, 4, 5]
    assert [e.action for e in uow.audit_log] == [
        "catalog.service.created",
        "catalog.service.published",
        "catalog.service.updated",
        "catalog.plan.added",
        "catalog.service.retired",
    ]
    assert [type(e) for e in uow.events] == [
        ServicePublished,
        ServiceUpdated,
        ServiceUpdated,
        ServiceRetired,
    ]
    assert [e.aggregate_version for e in uow.events] == [2, 3, 4, 5]
    assert uow.committed == 5


async def test_r28_a_refused_command_is_rolled_back_with_no_event_or_audit_entry(
    uow: FakeCatalogUnitOfWork,
) -> None:
    service_id = await _published(uow)
    committed = (uow.committed, len(uow.envelopes), len(uow.audit_log))
    with pytest.raises(ServiceRuleViolation):
        await handlers.publish_service(uow=uow, service_id=service_id, actor=OPS)
    assert (uow.committed, len(uow.envelopes), len(uow.audit_log)) == committed
    assert uow.rollbacks == 1
