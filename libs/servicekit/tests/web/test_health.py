"""/readyz tells the truth about the database, the broker and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.health import (
    ReadinessCheck,
    amqp_check,
    database_check,
    health_router,
    redis_check,
)
from servicekit.redis import create_redis
from servicekit.settings import ServiceSettings
from servicekit.testing.infra import Infra
from servicekit.web import create_service_app

pytestmark = pytest.mark.integration


def client_for(
    readiness: Mapping[str, ReadinessCheck], optional: frozenset[str] = frozenset()
) -> httpx.AsyncClient:
    app = create_service_app(
        settings=ServiceSettings(),
        title="health",
        routers=[],
        readiness=readiness,
        optional_readiness=optional,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")


@pytest.fixture
async def real_checks(infra: Infra) -> AsyncIterator[dict[str, ReadinessCheck]]:
    engine = create_async_engine(await infra.create_database("health"))
    redis = create_redis(infra.redis_url)
    amqp = amqp_check(infra.amqp_url)
    try:
        yield {"database": database_check(engine), "redis": redis_check(redis), "broker": amqp}
    finally:
        await amqp.close()
        await redis.aclose()
        await engine.dispose()


@pytest.fixture
async def unreachable_checks(closed_port: int) -> AsyncIterator[dict[str, ReadinessCheck]]:
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/x")
    redis = create_redis(f"redis://127.0.0.1:{closed_port}/0")
    amqp = amqp_check(f"amqp://guest:guest@127.0.0.1:{closed_port}/")
    try:
        yield {"database": database_check(engine), "redis": redis_check(redis), "broker": amqp}
    finally:
        await amqp.close()
        await redis.aclose()
        await engine.dispose()


async def test_liveness_answers_without_checking_dependencies(
    unreachable_checks: dict[str, ReadinessCheck],
) -> None:
    async with client_for(unreachable_checks) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_broker_and_redis_answer(
    real_checks: dict[str, ReadinessCheck],
) -> None:
    async with client_for(real_checks) as client:
        first = await client.get("/readyz")
        second = await client.get("/readyz")

    assert first.status_code == 200
    assert first.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "broker": "ok"},
    }
    assert second.status_code == 200
    assert first.headers["cache-control"] == "no-store"


async def test_not_ready_names_each_unreachable_dependency(
    unreachable_checks: dict[str, ReadinessCheck],
) -> None:
    async with client_for(unreachable_checks) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert set(body["checks"]) == {"database", "redis", "broker"}
    for name, result in body["checks"].items():
        assert result.startswith("error: "), name
        assert len(result) <= 200
    assert "guest:guest" not in response.text


async def test_one_failing_dependency_makes_the_service_not_ready(
    real_checks: dict[str, ReadinessCheck], unreachable_checks: dict[str, ReadinessCheck]
) -> None:
    checks = {**real_checks, "redis": unreachable_checks["redis"]}
    async with client_for(checks) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"] == "ok"
    assert response.json()["checks"]["redis"].startswith("error: ")


async def test_a_failing_optional_dependency_leaves_the_service_ready_but_degraded(
    real_checks: dict[str, ReadinessCheck], unreachable_checks: dict[str, ReadinessCheck]
) -> None:
    checks = {**real_checks, "redis": unreachable_checks["redis"]}
    async with client_for(checks, optional=frozenset({"redis"})) as client:
        degraded = await client.get("/readyz")
    async with client_for(real_checks, optional=frozenset({"redis"})) as client:
        healthy = await client.get("/readyz")
    checks_down = {**real_checks, "database": unreachable_checks["database"]}
    async with client_for(checks_down, optional=frozenset({"redis"})) as client:
        unready = await client.get("/readyz")

    assert degraded.status_code == 200
    assert degraded.json()["status"] == "degraded"
    assert degraded.json()["checks"]["redis"].startswith("error: ")
    assert (healthy.status_code, healthy.json()["status"]) == (200, "ready")
    # An optional check never hides a required one.
    assert (unready.status_code, unready.json()["status"]) == (503, "not_ready")


async def test_a_hanging_check_is_cut_off_by_the_timeout() -> None:
    never = asyncio.Event()

    async def hangs() -> None:
        await never.wait()

    app = FastAPI()
    app.include_router(health_router({"slow": hangs}, timeout=0.1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"slow": "error: timeout after 0.1s"}


async def test_broker_check_reuses_its_connection_and_replaces_a_closed_one(
    infra: Infra,
) -> None:
    check = amqp_check(infra.amqp_url)
    try:
        await check()
        first = check.connection
        await check()
        assert check.connection is first

        assert first is not None
        await first.close()
        await check()

        assert check.connection is not first
        assert check.connection is not None and not check.connection.is_closed
    finally:
        await check.close()
