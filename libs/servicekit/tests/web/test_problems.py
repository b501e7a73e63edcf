"""Every error of a bizmall app is RFC 9457 problem details with a stable code."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel, Field

from servicekit.logging import configure_logging
from servicekit.problems import Problem, install_problem_handlers, pick_language
from servicekit.settings import ServiceSettings
from servicekit.web import create_service_app

router = APIRouter()


class OrderIn(BaseModel):
    service_id: uuid.UUID
    quantity: int = Field(gt=0, le=10)
    password: str = Field(min_length=8)


@router.post("/orders", status_code=201)
async def place_order(order: OrderIn) -> dict[str, object]:
    return {"quantity": order.quantity}


@router.get("/orders/{order_id}")
async def quantity_over_limit(order_id: uuid.UUID) -> None:
    raise Problem(
        409,
        "order.quantity_over_limit",
        ja="数量が上限を超えています。",
        en="The quantity is over the limit.",
        errors=[
            {"field": "quantity", "code": "over_limit", "ja": "上限は10です。", "en": "At most 10."}
        ],
        headers={"Retry-After": "30"},
        extra={"limit": 10},
    )


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("connection to postgresql://app:hunter2@db failed")


@router.get("/conflict")
async def conflict() -> None:
    raise HTTPException(status_code=409, detail="Already done")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        settings=ServiceSettings(), title="problems", routers=[router], readiness={}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as http:
        yield http


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "ja"),
        ("", "ja"),
        ("en", "en"),
        ("en-US", "en"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("ja,en;q=0.5", "ja"),
        ("en;q=0.3, ja;q=0.7", "ja"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr, de", "ja"),
        ("en;q=0", "ja"),
        ("*", "ja"),
        ("en;q=abc", "ja"),
    ],
)
def test_language_is_japanese_unless_english_is_preferred(
    header: str | None, expected: str
) -> None:
    assert pick_language(header) == expected


async def test_validation_error_names_every_bad_field_in_japanese_by_default(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/orders", json={"service_id": "not-a-uuid", "quantity": 11, "password": "Pw7xQ"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-language"] == "ja"
    body = response.json()
    assert body["code"] == "request.invalid"
    assert body["status"] == 422
    assert body["type"] == "urn:bizmall:problem:request.invalid"
    assert body["detail"] == "入力内容に誤りがあります。"
    errors = {error["field"]: error for error in body["errors"]}
    assert set(errors) == {"body.service_id", "body.quantity", "body.password"}
    assert errors["body.quantity"]["code"] == "less_than_equal"
    assert errors["body.quantity"]["message"] == "10 以下の値を指定してください。"
    assert errors["body.password"]["message"] == "8 文字以上で指定してください。"
    # The submitted value is never echoed: it may be a password.
    assert "Pw7xQ" not in response.text


async def test_validation_error_keeps_pydantic_messages_in_english(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/orders",
        json={"service_id": str(uuid.uuid4()), "password": "long enough"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request has invalid fields."
    assert body["errors"] == [
        {"field": "body.quantity", "code": "missing", "message": "Field required"}
    ]


async def test_body_that_is_not_an_object_is_named_as_the_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/orders", json=[1, 2])

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "body",
            "code": "model_attributes_type",
            "message": "オブジェクト（JSON の {} 形式）で指定してください。",
        }
    ]


async def test_malformed_json_is_a_problem_naming_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/orders", content=b'{"quantity": 1,', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "request.malformed_json"
    assert [error["field"] for error in body["errors"]] == ["body"]


async def test_problem_raised_by_a_route_keeps_its_status_code_headers_and_extras(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/orders/{uuid.uuid4()}", headers={"Accept-Language": "en"})

    assert response.status_code == 409
    assert response.headers["retry-after"] == "30"
    body = response.json()
    assert body == {
        "type": "urn:bizmall:problem:order.quantity_over_limit",
        "title": "Conflict",
        "status": 409,
        "code": "order.quantity_over_limit",
        "detail": "The quantity is over the limit.",
        "errors": [{"field": "quantity", "code": "over_limit", "message": "At most 10."}],
        "limit": 10,
    }


async def test_bad_path_parameter_is_a_validation_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/orders/123")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.order_id"


async def test_unknown_path_is_a_not_found_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "http.not_found"
    assert response.json()["detail"] == "指定されたリソースは見つかりません。"


async def test_wrong_method_is_a_problem_that_lists_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/orders")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["code"] == "http.method_not_allowed"


async def test_http_exception_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/conflict", headers={"Accept-Language": "en"})

    assert response.status_code == 409
    assert response.json()["code"] == "http.conflict"
    assert response.json()["detail"] == "Already done"


async def test_unexpected_exception_is_a_500_that_reveals_nothing_but_is_logged(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("problems-test")
    capsys.readouterr()

    response = await client.get("/boom", headers={"X-Request-ID": "req-boom-1"})

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-boom-1"
    body = response.json()
    assert body["code"] == "internal"
    assert body["detail"].startswith("サーバー内部でエラーが発生しました")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    failure = next(line for line in lines if line["event"] == "unhandled exception")
    assert failure["request_id"] == "req-boom-1"
    assert failure["level"] == "error"
    assert "RuntimeError" in failure["exception"]
    # The URL password in the exception message is scrubbed from the log too.
    assert "hunter2" not in failure["exception"]
    access = next(line for line in lines if line["event"] == "request")
    assert access["status"] == 500


async def test_handlers_alone_answer_the_500_problem_without_the_middleware() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        response = await http.get("/boom", headers={"Accept-Language": "en"})

    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert response.json()["detail"] == "An internal error occurred. Please try again later."
    assert "hunter2" not in response.text


async def test_database_out_of_reach_is_a_503_with_retry_after(closed_port: int) -> None:
    from sqlalchemy import text

    from servicekit.db import create_engine

    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/nowhere")
    outage_router = APIRouter()

    @outage_router.get("/needs-db")
    async def needs_db() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    app = create_service_app(
        settings=ServiceSettings(), title="t", routers=[outage_router], readiness={}
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
            response = await http.get("/needs-db", headers={"Accept-Language": "en"})
    finally:
        await engine.dispose()

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "service.unavailable"


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ("SELECT CAST(:v AS text)", "nul \x00 inside"),  # PostgreSQL text cannot hold NUL
        ("SELECT CAST(:v AS integer)", 137438953473),  # beyond int4
    ],
)
async def test_value_the_database_refuses_is_a_422_not_a_500(
    infra: Any, query: str, value: object
) -> None:
    from sqlalchemy import text

    from servicekit.db import create_engine

    engine = create_engine(await infra.create_database("problems"))
    store_router = APIRouter()

    @store_router.post("/store")
    async def store() -> None:
        async with engine.connect() as conn:
            await conn.execute(text(query), {"v": value})

    app = create_service_app(
        settings=ServiceSettings(), title="t", routers=[store_router], readiness={}
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
            response = await http.post("/store")
    finally:
        await engine.dispose()

    assert response.status_code == 422
    assert response.json()["code"] == "request.unstorable_value"
