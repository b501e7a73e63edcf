"""R28: every change is a new immutable version; plan version ids pin price and terms."""

from __future__ import annotations

import uuid

import pytest

from bizmall_events.catalog import ServicePublished
from catalog.domain import model
from catalog.domain.errors import InvalidServiceTerms, ServiceRuleViolation
from catalog.domain.model import Plan, Service
from catalog.domain.order_fields import InvalidOrderFields
from catalog.service_layer.demo_lineup import DEMO_LINEUP

from .builders import terms as _terms

PLAN = Plan(
    plan_id=uuid.uuid4(), name={"ja": "標準", "en": "Standard"}, monthly_fee=1000, initial_fee=500
)


def _service(plans: list[Plan] | None = None) -> Service:
    return Service.create(
        service_id=uuid.uuid4(),
        slug="test-svc",
        terms=_terms(),
        plans=[PLAN] if plans is None else plans,
    )


def _published() -> Service:
    service = _service()
    service.publish()
    return service


def test_r28_a_new_service_is_a_draft_at_version_1() -> None:
    draft = _service().current
    assert (draft.status, draft.service_version) == ("draft", 1)
    assert draft.plans[0].plan_version_id == model.plan_version_id(PLAN.plan_id, 1)


def test_r28_every_change_is_the_next_version_and_leaves_the_old_one_intact() -> None:
    service = _service()
    draft = service.current
    published = service.publish()
    edited = service.revise_terms({"lead_time_business_days": 9})
    assert [s.service_version for s in (draft, published, edited)] == [1, 2, 3]
    assert (published.lead_time_business_days, edited.lead_time_business_days) == (3, 9)
    assert edited.status == "published"


def test_r28_a_changed_plan_gets_a_new_version_id_and_the_old_keeps_its_price() -> None:
    service = _published()
    v2 = service.current
    v3 = service.change_plan(PLAN.model_copy(update={"monthly_fee": 1200}))
    old, new = v2.plan(PLAN.plan_id), v3.plan(PLAN.plan_id)
    assert old is not None and new is not None
    assert old.plan_version_id != new.plan_version_id
    assert (old.monthly_fee, new.monthly_fee) == (1000, 1200)


def test_r28_a_term_change_also_renews_plan_version_ids() -> None:
    service = _published()
    v2 = service.current
    v3 = service.revise_terms(
        {"minimum_term_months": 12, "early_termination": {"kind": "remaining_months"}}
    )
    assert v2.plans[0].plan_version_id != v3.plans[0].plan_version_id


def test_r28_plans_can_be_added_and_removed() -> None:
    second = Plan(
        plan_id=uuid.uuid4(), name={"ja": "上位", "en": "Pro"}, monthly_fee=2000, initial_fee=0
    )
    service = _published()
    v3 = service.add_plan(second)
    assert [p.plan_id for p in v3.plans] == [PLAN.plan_id, second.plan_id]
    v4 = service.remove_plan(PLAN.plan_id)
    assert [p.plan_id for p in v4.plans] == [second.plan_id]


def test_r28_a_published_service_keeps_at_least_one_plan() -> None:
    with pytest.raises(ServiceRuleViolation) as caught:
        _published().remove_plan(PLAN.plan_id)
    assert caught.value.code == "catalog.no_plans"
    with pytest.raises(ServiceRuleViolation):
        _service(plans=[]).publish()


def test_r28_duplicate_plan_ids_are_refused() -> None:
    with pytest.raises(InvalidServiceTerms):
        _service().add_plan(PLAN)


def test_r28_unknown_plans_are_refused() -> None:
    with pytest.raises(ServiceRuleViolation) as caught:
        _service().change_plan(PLAN.model_copy(update={"plan_id": uuid.uuid4()}))
    assert caught.value.code == "catalog.plan_not_found"


def test_r28_life_cycle_transitions() -> None:
    service = _published()
    with pytest.raises(ServiceRuleViolation):
        service.publish()
    retired = service.retire()
    assert retired.status == "retired"
    with pytest.raises(ServiceRuleViolation):
        service.retire()
    with pytest.raises(ServiceRuleViolation) as caught:
        service.revise_terms({"lead_time_business_days": 1})
    assert caught.value.code == "catalog.service_retired"
    assert service.publish().status == "published"
    with pytest.raises(ServiceRuleViolation):
        _service().retire()


def test_r28_events_announce_published_services_only() -> None:
    assert model.event_kind("draft", "draft") is None
    assert model.event_kind("draft", "published") == "published"
    assert model.event_kind("retired", "published") == "published"
    assert model.event_kind("published", "published") == "updated"
    assert model.event_kind("published", "retired") == "retired"


def test_r14_quantity_rules_must_agree() -> None:
    with pytest.raises(InvalidServiceTerms):
        _service().revise_terms({"order_unit": 20})
    with pytest.raises(ValueError):
        _terms(order_unit=5, max_quantity_per_order=4)


def test_r20_a_termination_fee_needs_a_minimum_term() -> None:
    with pytest.raises(ValueError):
        _terms(early_termination={"kind": "fixed", "amount": 1000}, minimum_term_months=0)


def test_r13_order_fields_outside_the_subset_are_refused_on_create_and_edit() -> None:
    bad = {"type": "object", "properties": {"x": {"type": "number"}}, "additionalProperties": False}
    with pytest.raises(InvalidOrderFields):
        Service.create(
            service_id=uuid.uuid4(), slug="bad", terms=_terms(order_fields=bad), plans=[]
        )
    with pytest.raises(InvalidOrderFields):
        _service().revise_terms({"order_fields": bad})


def test_the_snapshot_fits_the_published_event_contract() -> None:
    snapshot = _published().current
    event = ServicePublished(
        service_id=snapshot.service_id,
        aggregate_version=snapshot.service_version,
        snapshot=snapshot,
    )
    assert ServicePublished.model_validate(event.model_dump(mode="json")).snapshot == snapshot


def test_spec4_demo_lineup_covers_every_flag_value() -> None:
    services = [
        Service.create(service_id=uuid.uuid4(), slug=slug, terms=terms, plans=plans).current
        for slug, terms, plans in DEMO_LINEUP
    ]
    assert len(services) >= 8
    assert len({s.category for s in services}) >= 4
    for flag in (
        "takes_phone_orders",
        "requires_corporation",
        "allows_account_transfer",
        "free_first_month",
        "cancellable_on_site",
        "withdrawal_requires_contracts_ended",
    ):
        assert {getattr(s, flag) for s in services} == {True, False}, flag
    assert {s.early_termination.kind for s in services} == {"none", "fixed", "remaining_months"}
    assert {s.activation_notice.kind for s in services} == {
        "on_activation",
        "business_days_before_start",
    }
    kinds = {
        (spec["type"], spec.get("format"), "enum" in spec, "pattern" in spec)
        for s in services
        for spec in s.order_fields["properties"].values()
    }
    assert {k[0] for k in kinds} == {"string", "integer", "boolean"}
    assert (
        any(k[1] == "date" for k in kinds) and any(k[2] for k in kinds) and any(k[3] for k in kinds)
    )
    special = {s.slug: s for s in services}
    gateway = special["security-gateway"]
    assert not gateway.takes_phone_orders and gateway.cancellable_on_site
    assert gateway.withdrawal_requires_contracts_ended
    assert not special["data-backup"].allows_account_transfer
