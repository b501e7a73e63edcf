"""The merged OpenAPI schema of every service, served at ``/api/v1/openapi.json``.

Each service publishes its own schema at ``/openapi.json``. The gateway keeps
only the paths it exposes (those the route table sends to that service — so
``/internal/...`` never shows), tags each operation with its service, and
merges the components. Two services may define different components under
one name (``Item``); the later one is renamed ``<service>.<Name>`` and every
``$ref`` of that service rewritten, so no schema silently replaces another.

Every operation then declares the problems the gateway itself may answer in
front of the service (:func:`gateway_statuses`): 401 and 403 where the route
table demands a token or the ops role, 408 and 413 for a request body (it
stopped arriving, it is too large), 429 where a
rate limit counts the request, and 502/503/504 when the service is down, slow
or cut off. The services declare their own problems (:mod:`servicekit.openapi`);
the gateway's own operations get the same treatment here.

A service that is down is listed under ``x-missing-services`` (and in the
description) instead of failing the whole document; an incomplete document
is cached only briefly so the gap closes soon after the service returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from gateway import routes
from gateway.config import SERVICES
from gateway.upstream import UpstreamClient, UpstreamError
from servicekit.logging import get_logger
from servicekit.openapi import (
    HTTP_METHODS,
    WRITE_METHODS,
    add_problem_responses,
    add_problem_schemas,
    describe_problems,
)

_log = get_logger(__name__)

#: How long a document missing a service is reused.
_INCOMPLETE_CACHE_SECONDS = 5.0
_REF_PREFIX = "#/components/"


class MergedOpenAPI:
    """Fetches, merges and caches the services' schemas."""

    def __init__(
        self,
        upstream: UpstreamClient,
        *,
        own: Callable[[], dict[str, Any]],
        cache_seconds: float,
        fetch_timeout_seconds: float,
    ) -> None:
        self._upstream = upstream
        self._own = own
        self._cache_seconds = cache_seconds
        self._fetch_timeout = fetch_timeout_seconds
        self._document: bytes | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> bytes:
        """The merged schema as JSON bytes."""
        async with self._lock:
            if self._document is None or time.monotonic() >= self._expires_at:
                fetched = await asyncio.gather(*(self._fetch(name) for name in SERVICES))
                schemas = {
                    name: schema
                    for name, schema in zip(SERVICES, fetched, strict=True)
                    if schema is not None
                }
                missing = [name for name in SERVICES if name not in schemas]
                self._document = orjson.dumps(merge(self._own(), schemas, missing))
                ttl = _INCOMPLETE_CACHE_SECONDS if missing else self._cache_seconds
                self._expires_at = time.monotonic() + ttl
            return self._document

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        # A hanging service must not hold the whole document for the proxy timeout.
        try:
            async with asyncio.timeout(self._fetch_timeout):
                return await self._fetch_unbounded(service)
        except TimeoutError:
            _log.warning("openapi of a service timed out", service=service)
            return None

    async def _fetch_unbounded(self, service: str) -> dict[str, Any] | None:
        try:
            response = await self._upstream.open(service, "GET", "/openapi.json", [])
        except UpstreamError as exc:
            _log.warning("openapi of a service unavailable", service=service, error=str(exc))
            return None
        try:
            if response.status != 200:
                _log.warning(
                    "openapi of a service refused", service=service, status=response.status
                )
                return None
            schema = orjson.loads(await response.read())
        except (aiohttp.ClientError, orjson.JSONDecodeError) as exc:
            _log.warning("openapi of a service unreadable", service=service, error=str(exc))
            return None
        finally:
            response.release()
        return schema if isinstance(schema, dict) else None


def merge(
    own: dict[str, Any], schemas: dict[str, dict[str, Any]], missing: list[str]
) -> dict[str, Any]:
    """One OpenAPI document from the gateway's own schema and each service's."""
    own = dict(own)
    describe_problems(own, {})
    description = "bizmall public API, through the gateway (merged from every service)."
    if missing:
        description += " Missing right now (service unavailable): " + ", ".join(missing) + "."
    merged: dict[str, Any] = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {
            "title": "bizmall API",
            "version": own.get("info", {}).get("version", "0.1.0"),
            "description": description,
            "x-missing-services": missing,
        },
        "paths": {
            path: item
            for path, item in own.get("paths", {}).items()
            if path.startswith(routes.API_PREFIX)
        },
        "components": dict(own.get("components", {})),
        "tags": [{"name": "gateway"}] + [{"name": name} for name in schemas],
    }
    operation_ids = _operation_ids(merged["paths"])
    for service, schema in schemas.items():
        renames = _component_renames(merged["components"], schema.get("components", {}), service)
        schema = _rewrite_refs(schema, renames)
        for section, items in schema.get("components", {}).items():
            target = merged["components"].setdefault(section, {})
            for name, value in items.items():
                ref = f"{_REF_PREFIX}{section}/{name}"
                target[renames.get(ref, ref).removeprefix(f"{_REF_PREFIX}{section}/")] = value
        for path, item in schema.get("paths", {}).items():
            route = routes.match(path)
            if route is None or route.service != service:
                continue
            merged["paths"][path] = _tag_operations(item, service, operation_ids)
    add_problem_schemas(merged)
    for path, item in merged["paths"].items():
        route = routes.match(path)
        if route is None:
            continue
        for method, operation in item.items():
            if method in HTTP_METHODS:
                add_problem_responses(operation, gateway_statuses(route, method, operation))
    return merged


def gateway_statuses(route: routes.Route, method: str, operation: dict[str, Any]) -> set[int]:
    """The problems the gateway may answer for ``method`` on a path of ``route``."""
    write = method in WRITE_METHODS
    statuses = {502, 503, 504}
    if "requestBody" in operation or write:
        statuses |= {408, 413}
    if routes.requires_token(route, method.upper()):
        statuses.add(401)
    if route.access is routes.Access.OPS:
        statuses.add(403)
    if route.strict_rate is not None or write:
        statuses.add(429)
    return statuses


def _component_renames(
    merged: dict[str, dict[str, Any]], incoming: dict[str, dict[str, Any]], service: str
) -> dict[str, str]:
    renames = {}
    for section, items in incoming.items():
        existing = merged.get(section, {})
        for name, value in items.items():
            if name in existing and existing[name] != value:
                renames[f"{_REF_PREFIX}{section}/{name}"] = (
                    f"{_REF_PREFIX}{section}/{service}.{name}"
                )
    return renames


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return node
    if isinstance(node, dict):
        return {
            key: renames.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else _rewrite_refs(value, renames)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _operation_ids(paths: dict[str, Any]) -> set[str]:
    return {
        operation["operationId"]
        for item in paths.values()
        for method, operation in item.items()
        if method in HTTP_METHODS and "operationId" in operation
    }


def _tag_operations(item: dict[str, Any], service: str, operation_ids: set[str]) -> dict[str, Any]:
    tagged = dict(item)
    for method, operation in item.items():
        if method not in HTTP_METHODS:
            continue
        operation = {**operation, "tags": operation.get("tags") or [service]}
        operation_id = operation.get("operationId")
        if operation_id is not None:
            if operation_id in operation_ids:
                operation["operationId"] = f"{service}_{operation_id}"
            operation_ids.add(operation["operationId"])
        tagged[method] = operation
    return tagged
