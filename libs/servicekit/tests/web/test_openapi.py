"""The OpenAPI document declares the problems each operation can answer, with the
problem+json schema, and what the app really answers matches it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from servicekit.auth import CurrentMember, CurrentPrincipal, OpsOnly
from servicekit.openapi import PROBLEM_SCHEMA, document_problems
from servicekit.problems import Problem, install_problem_handlers

router = APIRouter(prefix="/api/v1")


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=20)


@router.get("/notices")
async def public_list(limit: int = 10) -> list[str]:
    return []


@router.get("/plain")
async def nothing_to_validate() -> dict[str, str]:
    return {"ok": "yes"}


@router.get("/me")
async def me(principal: CurrentPrincipal) -> dict[str, str]:
    return {"id": principal.subject}


@router.get("/orders/{order_id}")
async def order(order_id: uuid.UUID, member: CurrentMember) -> dict[str, str]:
    return {"id": str(order_id)}


@router.post("/notes", status_code=201)
async def write(note: NoteIn, member: CurrentMember) -> dict[str, str]:
    return {"text": note.text}


@router.post(
    "/ops/things/{thing_id}/close",
    responses={410: {"description": "The thing is gone for good."}},
)
async def close(thing_id: str, ops: OpsOnly) -> dict[str, str]:
    raise Problem(410, "thing.gone", ja="もうありません。", en="Gone.")


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    document_problems(app)
    return app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return _app().openapi()


def _statuses(document: dict[str, Any], path: str, method: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_each_operation_declares_the_problems_of_what_it_has(document: dict[str, Any]) -> None:
    assert _statuses(document, "/api/v1/notices", "get") == {"200", "422", "503"}
    assert _statuses(document, "/api/v1/plain", "get") == {"200", "503"}
    # A token of any kind: 401; no verified-member or ops check, so no 403.
    assert _statuses(document, "/api/v1/me", "get") == {"200", "401", "503"}
    assert _statuses(document, "/api/v1/orders/{order_id}", "get") == {
        "200",
        "401",
        "403",
        "404",
        "422",
        "503",
    }
    assert _statuses(document, "/api/v1/notes", "post") == {
        "201",
        "400",
        "401",
        "403",
        "409",
        "422",
        "503",
    }
    assert _statuses(document, "/api/v1/ops/things/{thing_id}/close", "post") == {
        "200",
        "401",
        "403",
        "404",
        "409",
        "410",
        "422",
        "503",
    }


def test_every_declared_error_is_problem_json(document: dict[str, Any]) -> None:
    assert document["components"]["schemas"]["Problem"] == PROBLEM_SCHEMA
    # FastAPI's own validation shapes are gone: nothing answers them.
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], status
    # A route's own declaration keeps its description and gets the problem body.
    gone = document["paths"]["/api/v1/ops/things/{thing_id}/close"]["post"]["responses"]["410"]
    assert gone["description"] == "The thing is gone for good."


def test_the_document_is_built_once(document: dict[str, Any]) -> None:
    app = _app()
    assert app.openapi() is app.openapi()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/v1/me", None, 401),
        ("GET", "/api/v1/notices?limit=many", None, 422),
        ("POST", "/api/v1/notes", None, 401),
    ],
)
async def test_real_answers_match_the_declared_problem(
    client: httpx.AsyncClient,
    document: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    template = path.split("?")[0]
    declared = document["paths"][template][method.lower()]["responses"][str(status)]
    assert declared["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    # The Problem schema with its $ref resolved against the document's components.
    schema = {**PROBLEM_SCHEMA, "components": document["components"]}
    jsonschema.validate(response.json(), schema)
