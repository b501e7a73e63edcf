"""Every service app ties requests to their ids, logs them once and serves its schema."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from servicekit.context import correlation_id_var, request_id_var
from servicekit.logging import configure_logging, get_logger
from servicekit.responses import json_bytes
from servicekit.settings import ServiceSettings
from servicekit.web import create_service_app

router = APIRouter(prefix="/api/v1")
ORDER_ID = uuid.UUID("0b7e3a52-5f1e-4a57-9d52-4f3a2f1c9e10")


class OrderOut(BaseModel):
    id: uuid.UUID
    desired_start_date: date
    monthly_fee: int


@router.get("/ids")
async def ids() -> dict[str, Any]:
    get_logger("tests.web").info("handling")
    return {"request_id": request_id_var.get(), "correlation_id": correlation_id_var.get()}


# No response model: FastAPI hands the data to the app's default response class.
@router.get("/plain", response_model=None)
async def plain() -> dict[str, Any]:
    return {
        "id": ORDER_ID,
        "created_at": datetime(2025, 4, 1, 3, 0, tzinfo=UTC),
        "desired_start_date": date(2025, 4, 10),
    }


@router.get("/orders/{order_id}", response_model=OrderOut)
async def typed(order_id: uuid.UUID) -> OrderOut:
    return OrderOut(id=order_id, desired_start_date=date(2025, 4, 10), monthly_fee=3300)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        settings=ServiceSettings(), title="web-test", routers=[router], readiness={}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as http:
        yield http


#: The loggers of the app under test: a line another logger writes meanwhile (asyncio
#: reporting a client session some earlier test left to the garbage collector) is not
#: this request's.
_APP_LOGGERS = {"tests.web", "servicekit.access"}


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Any:
    configure_logging("web-test")
    capsys.readouterr()

    def lines() -> list[dict[str, Any]]:
        records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return [r for r in records if r.get("logger") in _APP_LOGGERS]

    return lines


async def test_incoming_request_id_is_used_echoed_and_bound_to_logs(
    client: httpx.AsyncClient, log_lines: Any
) -> None:
    response = await client.get(
        "/api/v1/ids", headers={"X-Request-ID": "gw-123", "X-Correlation-ID": "order-flow-9"}
    )

    assert response.headers["x-request-id"] == "gw-123"
    assert response.json() == {"request_id": "gw-123", "correlation_id": "order-flow-9"}
    handling, access = log_lines()
    assert handling["event"] == "handling"
    assert handling["request_id"] == "gw-123"
    assert handling["correlation_id"] == "order-flow-9"
    assert access["request_id"] == "gw-123"
    # The ids belong to the request only.
    assert request_id_var.get() is None


async def test_missing_request_id_is_created_and_doubles_as_correlation_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/ids")

    created = response.headers["x-request-id"]
    assert uuid.UUID(created)
    assert response.json() == {"request_id": created, "correlation_id": created}


@pytest.mark.parametrize("forged", ["x" * 200, "id with spaces", 'id"}{"level":"error'])
async def test_unsafe_request_id_is_replaced(client: httpx.AsyncClient, forged: str) -> None:
    response = await client.get("/api/v1/ids", headers={"X-Request-ID": forged})

    assert response.headers["x-request-id"] != forged
    assert uuid.UUID(response.headers["x-request-id"])


async def test_access_line_has_method_path_status_and_duration_but_no_query(
    client: httpx.AsyncClient, log_lines: Any
) -> None:
    await client.get("/api/v1/plain", params={"token": "s3cr3t-link-token"})

    (access,) = log_lines()
    assert access["event"] == "request"
    assert access["logger"] == "servicekit.access"
    assert access["method"] == "GET"
    assert access["path"] == "/api/v1/plain"
    assert access["status"] == 200
    assert access["duration_ms"] >= 0
    assert access["service"] == "web-test"
    assert "s3cr3t-link-token" not in json.dumps(access)


async def test_probes_are_not_logged_at_info(client: httpx.AsyncClient, log_lines: Any) -> None:
    await client.get("/healthz")

    assert log_lines() == []


async def test_plain_data_is_rendered_with_orjson(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/plain")

    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["id"] == str(ORDER_ID)
    assert datetime.fromisoformat(body["created_at"]) == datetime(2025, 4, 1, 3, tzinfo=UTC)
    assert body["desired_start_date"] == "2025-04-10"


async def test_typed_response_models_are_serialised(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/orders/{ORDER_ID}")

    assert response.json() == {
        "id": str(ORDER_ID),
        "desired_start_date": "2025-04-10",
        "monthly_fee": 3300,
    }


async def test_schema_is_served_for_the_gateway_without_the_probes(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert schema["info"] == {"title": "web-test", "version": "0.1.0"}
    assert "/api/v1/orders/{order_id}" in schema["paths"]
    assert "/healthz" not in schema["paths"]
    assert "/readyz" not in schema["paths"]


def test_json_bytes_writes_naive_datetimes_as_utc_and_refuses_decimals() -> None:
    naive = json_bytes({"at": datetime(2025, 1, 2, 3, 4, 5)})
    roles = json_bytes({"roles": frozenset({"ops", "member"})})

    assert naive == b'{"at":"2025-01-02T03:04:05Z"}'
    assert roles == b'{"roles":["member","ops"]}'
    with pytest.raises(TypeError):
        json_bytes({"price": Decimal("1.5")})
