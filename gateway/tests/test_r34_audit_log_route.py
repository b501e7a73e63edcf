"""R34: each service's audit trail is reachable through the gateway for ops only, and
the merged OpenAPI document shows it with its CSV download and its problems."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from gateway.config import SERVICES
from gateway.openapi import merge
from gateway.routes import Access, match, requires_token
from servicekit.openapi import document_problems
from servicekit.ops import audit_log_router


@pytest.mark.parametrize("service", SERVICES)
def test_r34_the_audit_log_path_goes_to_its_service_for_ops_only(service: str) -> None:
    route = match(f"/api/v1/ops/{service}/audit-log")
    assert route is not None
    assert (route.service, route.access) == (service, Access.OPS)
    assert requires_token(route, "GET")


def _service_document(service: str) -> dict[str, Any]:
    app = FastAPI()
    app.include_router(audit_log_router(service))
    document_problems(app)
    return app.openapi()


def test_r34_the_merged_openapi_lists_every_services_audit_log() -> None:
    merged = merge({}, {service: _service_document(service) for service in SERVICES}, [])
    operations = [merged["paths"][f"/api/v1/ops/{s}/audit-log"]["get"] for s in SERVICES]
    assert len({operation["operationId"] for operation in operations}) == len(SERVICES)
    for operation in operations:
        assert operation["tags"] == ["ops: audit log"]
        assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"member_id", "actor_id", "entity", "since", "until", "cursor"} <= names
        for status in ("401", "403", "422"):
            assert "application/problem+json" in operation["responses"][status]["content"]
    assert "AuditLogEntry" in merged["components"]["schemas"]
