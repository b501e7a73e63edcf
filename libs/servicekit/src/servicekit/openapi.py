"""The problem answers of every operation, written into a service's OpenAPI document.

FastAPI documents what a route returns when all goes well and its 422 for
request validation (in FastAPI's own shape). A bizmall app answers every error
as problem details (:mod:`servicekit.problems`), and most of those errors come
from the platform rather than the route: the bearer-token dependencies (401,
403), a path id nobody has (404), a body that is not JSON (400), invalid fields
(422) and an unreachable database, broker or cache (503). :func:`document_problems`
declares them once for every operation, from what the operation really has:

- a request body → 400 and 422;
- parameters → 422;
- a bearer token dependency (``CurrentPrincipal``, ``CurrentMember``, ``OpsOnly``) → 401;
- ``CurrentMember`` or ``OpsOnly`` → 403;
- a path parameter → 404;
- a write (POST, PUT, PATCH, DELETE) → 409, the resource's state refuses it;
- every operation → 503 ``service.unavailable``.

Each such response, and any error status a route declares itself without a
body (``responses={409: {"description": ...}}``), carries the
``application/problem+json`` schema :data:`PROBLEM_SCHEMA`. The gateway adds
what only it answers (408, 413, 429, 502, 504) with :func:`add_problem_responses`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from servicekit.auth import _ops, _verified_member, bearer_principal
from servicekit.problems import PROBLEM_MEDIA_TYPE

PROBLEM_REF = "#/components/schemas/Problem"

#: RFC 9457 problem details as every bizmall app writes them.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": (
        "An error (RFC 9457 problem details). `code` is stable and machine-readable; "
        "`detail` is in the language chosen by Accept-Language. A problem may carry "
        "more members (`retry_after`, `max_bytes`, ...)."
    ),
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`urn:bizmall:problem:` and the code."},
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "code": {"type": "string", "description": "Stable error code (`order.not_found`)."},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "errors": {
            "type": "array",
            "description": "The fields in error, one item each.",
            "items": {"$ref": "#/components/schemas/ProblemFieldError"},
        },
    },
    "additionalProperties": True,
}

PROBLEM_FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ProblemFieldError",
    "type": "object",
    "required": ["field", "code"],
    "properties": {
        "field": {"type": "string", "description": "The field (`body.email`)."},
        "code": {"type": "string", "description": "What is wrong with it (`missing`)."},
        "message": {"type": "string", "description": "The same, for people."},
    },
    "additionalProperties": True,
}

#: What each status means when the platform (or the gateway) answers it.
PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "The request is malformed: the body is not JSON (`request.malformed_json`) "
    "or a value is refused as such.",
    401: "No bearer token (`auth.required`), or one that is invalid or expired "
    "(`auth.invalid_token`).",
    403: "The caller may not do this: an operator route (`auth.ops_only`) or a "
    "registration not verified yet (`auth.unverified`).",
    404: "No such resource, or one the caller may not see.",
    408: "The request body stopped arriving (`request.timeout`).",
    409: "The resource's current state does not allow this.",
    413: "The request body is too large (`request.too_large`).",
    422: "Invalid fields (`request.invalid`), each named in `errors`.",
    429: "Too many requests; try again after `Retry-After` seconds.",
    502: "The connection to the service broke (`gateway.upstream_error`).",
    503: "Unavailable right now (a dependency is down, or a maintenance window holds "
    "writes); try again after `Retry-After` seconds.",
    504: "The service did not answer in time (`gateway.upstream_timeout`).",
}

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_response_spec(status: int, description: str | None = None) -> dict[str, Any]:
    """The OpenAPI response object of a problem with ``status``."""
    return {
        "description": description or PROBLEM_DESCRIPTIONS.get(status, "An error."),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def add_problem_schemas(document: dict[str, Any]) -> None:
    """Put :data:`PROBLEM_SCHEMA` (and its field error) into ``document``'s components."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["ProblemFieldError"] = copy.deepcopy(PROBLEM_FIELD_ERROR_SCHEMA)


def add_problem_responses(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    """Declare each of ``statuses`` on ``operation`` as a problem, unless the
    operation already documents that status with a body of its own."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in sorted(set(statuses)):
        declared = responses.get(str(status))
        if declared is None:
            responses[str(status)] = problem_response_spec(status)
        elif not declared.get("content"):
            responses[str(status)] = problem_response_spec(
                status, declared.get("description") or None
            )


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the problems each operation can answer (module docs)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = plain()
            describe_problems(document, operation_traits(app.routes))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


#: Per (path, lower-case method): the names of the platform dependencies it uses.
Traits = Mapping[tuple[str, str], frozenset[str]]

_TRAIT_OF_CALL: dict[Any, str] = {
    bearer_principal: "bearer",
    _verified_member: "verified",
    _ops: "ops",
}


def operation_traits(routes: Iterable[Any]) -> dict[tuple[str, str], frozenset[str]]:
    """Which token dependencies (``bearer``, ``verified``, ``ops``) each route's
    operations use, found anywhere in their dependency tree."""
    traits: dict[tuple[str, str], frozenset[str]] = {}
    for route in _api_routes(routes):
        if not route.include_in_schema:
            continue
        found = frozenset(_TRAIT_OF_CALL[call] for call in _calls(route.dependant))
        for method in route.methods:
            traits[(route.path_format, method.lower())] = found
    return traits


def _api_routes(routes: Iterable[Any]) -> Iterable[Any]:
    # FastAPI 0.16x keeps included routers as they are and flattens them on demand
    # (a route context, which reads like an APIRoute); older versions copy the routes.
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:
        return (route for route in routes if isinstance(route, APIRoute))
    return (
        context for context in iterate(list(routes)) if isinstance(context.original_route, APIRoute)
    )


def _calls(dependant: Dependant) -> set[Any]:
    calls: set[Any] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call in _TRAIT_OF_CALL:
            calls.add(current.call)
        pending.extend(current.dependencies)
    return calls


def describe_problems(document: dict[str, Any], traits: Traits) -> None:
    """Declare the platform's problems on every operation of ``document`` (in place)."""
    add_problem_schemas(document)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            _replace_validation_response(operation)
            add_problem_responses(
                operation, platform_statuses(operation, method, traits.get((path, method), ()))
            )
            add_problem_responses(operation, _declared_errors(operation))
    _drop_unused_validation_schemas(document)


def platform_statuses(operation: Mapping[str, Any], method: str, traits: Iterable[str]) -> set[int]:
    """The statuses the platform may answer for ``operation`` (module docs)."""
    found = set(traits)
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = {503}
    if has_body:
        statuses |= {400, 422}
    if parameters:
        statuses.add(422)
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.add(404)
    if "bearer" in found:
        statuses.add(401)
    if found & {"verified", "ops"}:
        statuses.add(403)
    if method in WRITE_METHODS:
        statuses.add(409)
    return statuses


def _declared_errors(operation: Mapping[str, Any]) -> list[int]:
    return [
        int(status)
        for status in operation.get("responses", {})
        if status.isdigit() and int(status) >= 400
    ]


def _replace_validation_response(operation: dict[str, Any]) -> None:
    # FastAPI's 422 names its own HTTPValidationError shape; ours is a problem.
    declared = operation.get("responses", {}).get("422")
    if declared is None:
        return
    schema = declared.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref") == "#/components/schemas/HTTPValidationError":
        operation["responses"]["422"] = problem_response_spec(422)


def _drop_unused_validation_schemas(document: dict[str, Any]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        if name in schemas and not _refers_to(document, f"#/components/schemas/{name}", name):
            del schemas[name]


def _refers_to(node: Any, ref: str, skip: str) -> bool:
    """Whether anything in ``node`` (but the schemas named ``skip`` or in
    :data:`_FASTAPI_VALIDATION_SCHEMAS`) holds ``$ref: ref``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value == ref:
                return True
            if key in _FASTAPI_VALIDATION_SCHEMAS or key == skip:
                continue
            if _refers_to(value, ref, skip):
                return True
    elif isinstance(node, list):
        return any(_refers_to(item, ref, skip) for item in node)
    return False
