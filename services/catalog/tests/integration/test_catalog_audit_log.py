"""R34: catalog's audit trail — an ops change to the lineup is read back by ops
through the filters and as CSV, and the database refuses to change it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from catalog.bootstrap import SERVICE
from catalog.config import Settings
from catalog.entrypoints.app import create_app
from catalog.service_layer.demo_lineup import DEMO_LINEUP, seed_demo_lineup, service_id
from servicekit.testing.audit import check_audit_trail
from servicekit.testing.service import migrate_with_cli


@pytest_asyncio.fixture(scope="module")
async def catalog(infra: Any, token_issuer: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings = await infra.service_settings(Settings, jwks_url=token_issuer.jwks_url)
    await migrate_with_cli(SERVICE, settings)
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as client:
            yield app, client
    finally:
        await app.state.jwks_verifier.close()
        await app.state.runtime.close()


async def test_r34_an_ops_change_to_a_plan_is_in_the_filtered_trail_and_its_csv(
    catalog: tuple[Any, httpx.AsyncClient], token_issuer: Any
) -> None:
    app, client = catalog
    actor = f"ops-{uuid.uuid4().hex[:8]}"
    ops = token_issuer.ops(actor)
    await seed_demo_lineup(app.state.runtime)
    service = service_id(DEMO_LINEUP[0][0])
    added = await client.post(
        f"/api/v1/ops/catalog/services/{service}/plans",
        headers=ops,
        json={"name": {"ja": "監査", "en": "Audit"}, "monthly_fee": 1200, "initial_fee": 0},
    )
    assert added.status_code == 201, added.text

    row = await check_audit_trail(
        client,
        "catalog",
        ops=ops,
        member=token_issuer.member(),
        sessions=app.state.runtime.sessions,
        action="catalog.plan.added",
        actor=actor,
        entity="service",
    )
    # A plan belongs to its service: the entity is the service, the target its id.
    assert row["target"] == str(service)
    assert row["details"]["version"] == added.json()["service_version"]
