"""The catalog over HTTP against real PostgreSQL, Redis and RabbitMQ (R13, R14, R17, R28, R29)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import httpx
import orjson
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI

from bizmall_events.catalog import ServicePublished
from catalog.bootstrap import SERVICE
from catalog.config import Settings
from catalog.entrypoints.app import create_app
from jpcalendar import JST
from servicekit.testing.helpers import eventually
from servicekit.testing.service import migrate_with_cli
from servicekit.worker import Worker

OPS = "/api/v1/ops/catalog/services"


@dataclass
class Catalog:
    app: FastAPI
    client: httpx.AsyncClient
    ops: dict[str, str]

    async def rows(self, query: str, **params: Any) -> list[Any]:
        async with self.app.state.runtime.engine.connect() as conn:
            return list((await conn.execute(sa.text(query), params)).all())


@pytest_asyncio.fixture(scope="module")
async def catalog(infra: Any, token_issuer: Any) -> AsyncIterator[Catalog]:
    settings = await infra.service_settings(Settings, jwks_url=token_issuer.jwks_url)
    await migrate_with_cli(SERVICE, settings)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as client:
            yield Catalog(app=app, client=client, ops=token_issuer.ops())
    finally:
        await app.state.jwks_verifier.close()
        await app.state.runtime.close()


def service_body(category: str, **changes: Any) -> dict[str, Any]:
    slug = f"svc-{uuid.uuid4().hex[:10]}"
    body: dict[str, Any] = {
        "slug": slug,
        "category": category,
        "name": {"ja": f"テスト {slug}", "en": f"Test {slug}"},
        "description": {"ja": "検証用のサービス", "en": "A service for tests"},
        "order_unit": 1,
        "max_quantity_per_order": 10,
        "takes_phone_orders": True,
        "order_fields": {
            "type": "object",
            "properties": {"seats": {"type": "integer", "title": "席数", "x-title-en": "Seats"}},
            "required": ["seats"],
            "additionalProperties": False,
        },
        "lead_time_business_days": 2,
        "activation_notice": {"kind": "business_days_before_start", "business_days": 3},
        "requires_corporation": False,
        "allows_account_transfer": True,
        "free_first_month": False,
        "cancellable_on_site": False,
        "early_termination": {"kind": "fixed", "amount": 10000},
        "minimum_term_months": 12,
        "withdrawal_requires_contracts_ended": False,
        "plans": [
            {"name": {"ja": "標準", "en": "Standard"}, "monthly_fee": 1000, "initial_fee": 3000}
        ],
    }
    body.update(changes)
    return body


def new_category() -> str:
    return f"c{uuid.uuid4().hex[:12]}"


async def published_service(catalog: Catalog, category: str | None = None) -> dict[str, Any]:
    created = await catalog.client.post(
        OPS, json=service_body(category or new_category()), headers=catalog.ops
    )
    assert created.status_code == 201, created.text
    published = await catalog.client.post(
        f"{OPS}/{created.json()['id']}/publish", headers=catalog.ops
    )
    assert published.status_code == 200, published.text
    body: dict[str, Any] = published.json()
    return body


async def outbox_events(catalog: Catalog, service_id: str) -> list[dict[str, Any]]:
    rows = await catalog.rows(
        "SELECT envelope FROM outbox"
        " WHERE envelope->'data'->>'service_id' = :sid ORDER BY created_at",
        sid=service_id,
    )
    return [row.envelope for row in rows]


async def test_r28_ops_create_then_publish_puts_the_service_in_the_lineup(catalog: Catalog) -> None:
    category = new_category()
    created = await catalog.client.post(OPS, json=service_body(category), headers=catalog.ops)
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["status"], draft["service_version"]) == ("draft", 1)

    lineup = await catalog.client.get("/api/v1/services", params={"category": category})
    assert lineup.json()["items"] == []
    hidden = await catalog.client.get(f"/api/v1/services/{draft['id']}")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "catalog.service_not_found"
    assert await outbox_events(catalog, draft["id"]) == []

    published = await catalog.client.post(f"{OPS}/{draft['id']}/publish", headers=catalog.ops)
    assert published.status_code == 200, published.text
    lineup = await catalog.client.get("/api/v1/services", params={"category": category})
    assert [item["id"] for item in lineup.json()["items"]] == [draft["id"]]
    assert lineup.json()["items"][0]["monthly_fee_from"] == 1000

    detail = (await catalog.client.get(f"/api/v1/services/{draft['id']}")).json()
    assert detail["status"] == "published"
    assert detail["plans"][0]["plan_version_id"]
    assert detail["order_fields"]["required"] == ["seats"]

    events = await outbox_events(catalog, draft["id"])
    assert [e["type"] for e in events] == ["catalog.service.published"]
    assert events[0]["data"]["aggregate_version"] == 2
    assert events[0]["data"]["snapshot"]["plans"] == detail["plans"]

    audit = await catalog.rows(
        "SELECT actor, action FROM audit_log WHERE target = :sid ORDER BY at", sid=draft["id"]
    )
    assert [(r.actor, r.action) for r in audit] == [
        ("ops-1", "catalog.service.created"),
        ("ops-1", "catalog.service.published"),
    ]


async def test_r28_an_edit_invalidates_the_cache_and_announces_the_new_snapshot(
    catalog: Catalog,
) -> None:
    category = new_category()
    service = await published_service(catalog, category)
    url = f"/api/v1/services/{service['id']}"
    first = await catalog.client.get(url)
    assert first.json()["lead_time_business_days"] == 2
    assert (await catalog.client.get(url)).json() == first.json()  # served from the cache
    await catalog.client.get("/api/v1/services", params={"category": category})

    edited = await catalog.client.patch(
        f"{OPS}/{service['id']}",
        json={"lead_time_business_days": 7, "name": {"ja": "改名", "en": "Renamed"}},
        headers=catalog.ops,
    )
    assert edited.status_code == 200, edited.text

    second = await catalog.client.get(url)
    assert second.json()["lead_time_business_days"] == 7
    assert second.json()["service_version"] == 3
    assert second.headers["etag"] != first.headers["etag"]
    lineup = await catalog.client.get("/api/v1/services", params={"category": category})
    assert lineup.json()["items"][0]["name"]["en"] == "Renamed"

    events = await outbox_events(catalog, service["id"])
    assert [e["type"] for e in events] == ["catalog.service.published", "catalog.service.updated"]
    assert events[1]["data"]["aggregate_version"] == 3
    assert events[1]["data"]["snapshot"]["lead_time_business_days"] == 7


async def test_r28_a_plan_change_mints_new_plan_version_ids_and_old_ones_stay_readable(
    catalog: Catalog,
) -> None:
    service = await published_service(catalog)
    plan = service["plans"][0]
    changed = await catalog.client.put(
        f"{OPS}/{service['id']}/plans/{plan['plan_id']}",
        json={"name": {"ja": "標準", "en": "Standard"}, "monthly_fee": 1500, "initial_fee": 3000},
        headers=catalog.ops,
    )
    assert changed.status_code == 200, changed.text
    new_plan = changed.json()["plans"][0]
    assert new_plan["plan_version_id"] != plan["plan_version_id"]
    assert new_plan["monthly_fee"] == 1500

    old = await catalog.client.get(
        f"/api/v1/services/{service['id']}/versions/{service['service_version']}"
    )
    assert old.status_code == 200
    assert old.json()["plans"][0] == plan

    added = await catalog.client.post(
        f"{OPS}/{service['id']}/plans",
        json={"name": {"ja": "上位", "en": "Pro"}, "monthly_fee": 3000, "initial_fee": 0},
        headers=catalog.ops,
    )
    assert added.status_code == 201
    assert len(added.json()["plans"]) == 2
    removed = await catalog.client.delete(
        f"{OPS}/{service['id']}/plans/{plan['plan_id']}", headers=catalog.ops
    )
    assert [p["monthly_fee"] for p in removed.json()["plans"]] == [3000]
    types = [e["type"] for e in await outbox_events(catalog, service["id"])]
    assert types == ["catalog.service.published"] + ["catalog.service.updated"] * 3


async def test_r28_a_retired_service_leaves_the_lineup_but_its_versions_stay_readable(
    catalog: Catalog,
) -> None:
    category = new_category()
    service = await published_service(catalog, category)
    retired = await catalog.client.post(f"{OPS}/{service['id']}/retire", headers=catalog.ops)
    assert retired.status_code == 200
    assert retired.json()["status"] == "retired"

    lineup = await catalog.client.get("/api/v1/services", params={"category": category})
    assert lineup.json()["items"] == []
    version = await catalog.client.get(
        f"/api/v1/services/{service['id']}/versions/{service['service_version']}"
    )
    assert version.status_code == 200
    assert version.json()["status"] == "published"
    current = await catalog.client.get(f"/api/v1/services/{service['id']}")
    assert current.json()["status"] == "retired"
    calendar = await catalog.client.get(f"/api/v1/services/{service['id']}/start-dates")
    assert calendar.status_code == 404

    draft_version = await catalog.client.get(f"/api/v1/services/{service['id']}/versions/1")
    assert draft_version.status_code == 404

    refused = await catalog.client.patch(
        f"{OPS}/{service['id']}", json={"lead_time_business_days": 1}, headers=catalog.ops
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "catalog.service_retired"
    events = await outbox_events(catalog, service["id"])
    assert events[-1]["type"] == "catalog.service.retired"
    assert events[-1]["data"]["snapshot"]["status"] == "retired"


async def test_public_reads_carry_an_etag_and_answer_304_on_revalidation(catalog: Catalog) -> None:
    service = await published_service(catalog)
    for url in (f"/api/v1/services/{service['id']}", "/api/v1/services"):
        first = await catalog.client.get(url)
        assert first.headers["cache-control"] == "public, max-age=30"
        etag = first.headers["etag"]
        again = await catalog.client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        other = await catalog.client.get(url, headers={"If-None-Match": '"other"'})
        assert other.status_code == 200


async def test_lineup_filters_by_category_searches_both_languages_and_paginates(
    catalog: Catalog,
) -> None:
    category = new_category()
    services = [await published_service(catalog, category) for _ in range(3)]
    first = await catalog.client.get("/api/v1/services", params={"category": category, "limit": 2})
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await catalog.client.get(
        "/api/v1/services", params={"category": category, "limit": 2, "cursor": page["next_cursor"]}
    )
    assert rest.json()["next_cursor"] is None
    seen = [item["id"] for item in page["items"] + rest.json()["items"]]
    assert sorted(seen) == sorted(s["id"] for s in services)

    slug = services[1]["slug"]
    for text in (f"Test {slug}", f"テスト {slug}", slug.upper()):
        found = await catalog.client.get("/api/v1/services", params={"q": text})
        assert [item["slug"] for item in found.json()["items"]] == [slug], text
    none = await catalog.client.get("/api/v1/services", params={"q": "%", "category": category})
    assert none.json()["items"] == []

    bad = await catalog.client.get("/api/v1/services", params={"cursor": "%%%"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "request.invalid_cursor"


async def test_r17_start_dates_follow_the_13h_cutoff_with_a_pinned_clock(catalog: Catalog) -> None:
    service = await published_service(catalog)  # lead time: 2 business days
    url = f"/api/v1/services/{service['id']}/start-dates"
    clock = catalog.app.state.runtime.clock
    try:
        clock.pin(datetime(2026, 12, 28, 12, 59, tzinfo=JST))
        before = (await catalog.client.get(url)).json()
        clock.pin(datetime(2026, 12, 28, 13, 0, tzinfo=JST))
        after = (await catalog.client.get(url, params={"months": 1})).json()
    finally:
        clock.unpin()
    assert before["effective_order_date"] == "2026-12-28"
    assert before["earliest"] == "2027-01-05"
    assert before["cutoff"] == "13:00"
    assert before["dates"][0] == before["earliest"]
    assert before["dates"][-1] <= "2027-04-05"
    assert after["effective_order_date"] == "2027-01-04"
    assert after["earliest"] == "2027-01-06"
    assert after["dates"][-1] <= "2027-02-06"
    assert "2027-01-09" not in after["dates"]  # a Saturday
    assert "2027-01-11" not in after["dates"]  # Coming of Age Day


async def test_r17_cached_start_dates_turn_over_at_the_cutoff_and_follow_an_edit(
    catalog: Catalog,
) -> None:
    """The calendar is cached by its effective order date: the same request on either
    side of 13:00 gets its own answer, revalidation gives 304, and a lead-time edit
    reaches the cached calendar at once."""
    service = await published_service(catalog)  # lead time: 2 business days
    url = f"/api/v1/services/{service['id']}/start-dates"
    clock = catalog.app.state.runtime.clock
    try:
        clock.pin(datetime(2026, 12, 28, 12, 59, tzinfo=JST))
        before = await catalog.client.get(url)
        assert before.headers["cache-control"] == "no-cache"
        again = await catalog.client.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert again.status_code == 304
        clock.pin(datetime(2026, 12, 28, 13, 0, tzinfo=JST))
        after = await catalog.client.get(url)
        stale = await catalog.client.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert stale.status_code == 200
        edited = await catalog.client.patch(
            f"{OPS}/{service['id']}", json={"lead_time_business_days": 7}, headers=catalog.ops
        )
        assert edited.status_code == 200, edited.text
        longer = await catalog.client.get(url)
    finally:
        clock.unpin()
    assert before.json()["earliest"] == "2027-01-05"
    assert after.json()["effective_order_date"] == "2027-01-04"
    assert after.json()["earliest"] == "2027-01-06"
    assert after.headers["etag"] != before.headers["etag"]
    # Seven business days after 2027-01-04 (Mon): the 13th, skipping the 9th-11th.
    assert longer.json()["earliest"] == "2027-01-14"


async def test_r17_months_outside_1_to_6_is_a_422_problem(catalog: Catalog) -> None:
    service = await published_service(catalog)
    for months in ("0", "7", "x"):
        answer = await catalog.client.get(
            f"/api/v1/services/{service['id']}/start-dates", params={"months": months}
        )
        assert answer.status_code == 422, months
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["field"] == "query.months"


async def test_r29_ops_routes_refuse_anonymous_callers_and_members(
    catalog: Catalog, token_issuer: Any
) -> None:
    body = service_body(new_category())
    anonymous = await catalog.client.post(OPS, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "auth.required"
    member = await catalog.client.post(OPS, json=body, headers=token_issuer.member())
    assert member.status_code == 403
    assert member.json()["code"] == "auth.ops_only"
    listing = await catalog.client.get(OPS, headers=token_issuer.member())
    assert listing.status_code == 403
    assert (
        await catalog.rows("SELECT id FROM catalog_service WHERE slug = :s", s=body["slug"])
    ) == []


async def test_r13_ops_cannot_save_order_fields_outside_the_subset(catalog: Catalog) -> None:
    fields = {
        "type": "object",
        "properties": {
            "ratio": {"type": "number", "title": "比率", "x-title-en": "Ratio"},
            "tags": {"type": "array", "title": "タグ"},
        },
        "additionalProperties": False,
    }
    refused = await catalog.client.post(
        OPS, json=service_body(new_category(), order_fields=fields), headers=catalog.ops
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "catalog.order_fields_invalid"
    assert {e["field"] for e in problem["errors"]} >= {
        "order_fields/properties/ratio/type",
        "order_fields/properties/tags/type",
        "order_fields/properties/tags/x-title-en",
    }

    service = await published_service(catalog)
    edit = await catalog.client.patch(
        f"{OPS}/{service['id']}", json={"order_fields": fields}, headers=catalog.ops
    )
    assert edit.status_code == 422
    assert edit.json()["code"] == "catalog.order_fields_invalid"


async def test_r14_quantity_rules_that_disagree_are_refused(catalog: Catalog) -> None:
    service = await published_service(catalog)
    answer = await catalog.client.patch(
        f"{OPS}/{service['id']}", json={"order_unit": 50}, headers=catalog.ops
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "catalog.terms_invalid"
    unchanged = await catalog.client.get(f"/api/v1/services/{service['id']}")
    assert unchanged.json()["service_version"] == service["service_version"]


async def test_a_duplicate_slug_is_a_409(catalog: Catalog) -> None:
    service = await published_service(catalog)
    again = await catalog.client.post(
        OPS, json=service_body(new_category(), slug=service["slug"]), headers=catalog.ops
    )
    assert again.status_code == 409
    assert again.json()["code"] == "catalog.service_exists"


async def test_r28_the_worker_relays_the_published_snapshot_to_the_broker(
    catalog: Catalog, infra: Any
) -> None:
    settings = catalog.app.state.runtime.settings
    connection = await aio_pika.connect_robust(infra.amqp_url)
    runtime = SERVICE.runtime(settings)
    worker = Worker(runtime, subscriptions={})
    running = asyncio.create_task(worker.run())
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            settings.event_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        capture = await channel.declare_queue(exclusive=True, auto_delete=True)
        await capture.bind(exchange, routing_key="catalog.service.*")

        service = await published_service(catalog)

        async def snapshot_arrived() -> dict[str, Any] | None:
            while (message := await capture.get(no_ack=True, fail=False)) is not None:
                envelope: dict[str, Any] = orjson.loads(message.body)
                if envelope["data"]["service_id"] == service["id"]:
                    return envelope
            return None

        envelope = await eventually(snapshot_arrived, timeout=30)
    finally:
        worker.stop()
        await running
        await runtime.close()
        await connection.close()
    assert envelope["type"] == "catalog.service.published"
    assert envelope["producer"] == "catalog"
    snapshot = ServicePublished.model_validate(envelope["data"]).snapshot
    assert snapshot.plans[0].plan_version_id == uuid.UUID(service["plans"][0]["plan_version_id"])
