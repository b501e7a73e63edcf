"""The merged OpenAPI document declares the problems the gateway itself answers in
front of each operation, as problem+json (issue 9: every documented answer)."""

from __future__ import annotations

from typing import Any

from gateway.openapi import merge

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _operation(**extra: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "OK"}}, **extra}


SERVICE_DOCS: dict[str, dict[str, Any]] = {
    "identity": {
        "paths": {
            "/api/v1/auth/login": {"post": _operation(requestBody={"content": {}})},
            "/api/v1/me": {"get": _operation(), "patch": _operation(requestBody={})},
            "/internal/jwks": {"get": _operation()},
        }
    },
    "catalog": {
        "paths": {
            "/api/v1/services": {"get": _operation(), "post": _operation(requestBody={})},
            "/api/v1/ops/catalog/services": {"get": _operation()},
        }
    },
}


def _merged() -> dict[str, Any]:
    own = {
        "paths": {
            "/api/v1/health/{service}": {
                "get": _operation(parameters=[{"name": "service", "in": "path", "required": True}])
            }
        }
    }
    return merge(own, SERVICE_DOCS, [])


def _statuses(document: dict[str, Any], path: str, method: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_each_operation_gets_the_gateways_problems_from_the_route_table() -> None:
    document = _merged()
    upstream = {"502", "503", "504"}
    # A strictly limited public route: no token, but 429 for every request; a body: 408, 413.
    assert _statuses(document, "/api/v1/auth/login", "post") >= {"408", "413", "429"} | upstream
    assert "401" not in _statuses(document, "/api/v1/auth/login", "post")
    # A member route: 401; reads are not rate-limited, writes are.
    assert _statuses(document, "/api/v1/me", "get") == {"200", "401"} | upstream
    body = {"408", "413"}
    assert _statuses(document, "/api/v1/me", "patch") == {"200", "401", "429"} | body | upstream
    # Public reads: nothing but the upstream's state; a write there needs a token.
    assert _statuses(document, "/api/v1/services", "get") == {"200"} | upstream
    assert {"401", "429"} <= _statuses(document, "/api/v1/services", "post")
    # An operator route: 401 and 403.
    assert (
        _statuses(document, "/api/v1/ops/catalog/services", "get")
        == {
            "200",
            "401",
            "403",
        }
        | upstream
    )
    assert "/internal/jwks" not in document["paths"]


def test_the_gateways_own_operations_declare_their_problems() -> None:
    document = _merged()
    responses = document["paths"]["/api/v1/health/{service}"]["get"]["responses"]
    assert responses["404"]["content"] == PROBLEM
    assert responses["503"]["content"] == PROBLEM


def test_every_declared_error_is_problem_json_with_the_schema_in_the_document() -> None:
    document = _merged()
    assert set(document["components"]["schemas"]) >= {"Problem", "ProblemFieldError"}
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == PROBLEM, status
