"""The route table (SPEC §2): each public prefix to its service, with its guard."""

from __future__ import annotations

import pytest

from gateway import routes
from gateway.routes import ROUTES, Access, match, requires_token


@pytest.mark.parametrize(
    ("path", "service", "strict"),
    [
        ("/api/v1/auth/login", "identity", "login"),
        ("/api/v1/auth/register", "identity", "registration"),
        ("/api/v1/auth/password-reset", "identity", "password_reset"),
        ("/api/v1/auth/password-reset/confirm", "identity", "password_reset"),
        ("/api/v1/auth/verify-email", "identity", None),
        ("/api/v1/me/identity-documents", "identity", None),
        ("/api/v1/services/s-1/start-dates", "catalog", None),
        ("/api/v1/orders", "ordering", None),
        ("/api/v1/contracts/c-1/cancel", "ordering", None),
        ("/api/v1/billing/account", "billing", None),
        ("/api/v1/invoices/i-1/pdf", "billing", None),
        ("/api/v1/notices", "notification", None),
        ("/api/v1/inquiries", "notification", None),
        ("/api/v1/ops/billing/dead-letters", "billing", None),
        ("/api/v1/ops/identity/documents/d-1", "identity", None),
    ],
)
def test_public_paths_map_to_their_service(path: str, service: str, strict: str | None) -> None:
    route = match(path)
    assert route is not None
    assert (route.service, route.strict_rate) == (service, strict)


@pytest.mark.parametrize(
    "path",
    [
        "/internal/jwks",
        "/api/v1/internal/x",
        "/api/v1/ordersX",
        "/api/v1/ops/unknown/x",
        "/api/v1/orders/../../internal/jwks",
        "/api/v1/orders//x",
        "/api/v1/orders/./x",
        "/healthz",
    ],
)
def test_paths_outside_the_table_are_not_routed(path: str) -> None:
    assert match(path) is None


def test_token_requirements_per_access() -> None:
    services = next(r for r in ROUTES if r.prefix == "/api/v1/services")
    login = next(r for r in ROUTES if r.prefix == "/api/v1/auth/login")
    orders = next(r for r in ROUTES if r.prefix == "/api/v1/orders")
    assert not requires_token(services, "GET")
    assert requires_token(services, "POST")
    assert not requires_token(login, "POST")
    assert requires_token(orders, "GET")


def test_every_service_has_ops_routes_and_none_is_public() -> None:
    ops = {r.service for r in ROUTES if r.prefix.startswith(routes.OPS_PREFIX)}
    assert ops == {"identity", "catalog", "ordering", "billing", "notification"}
    assert all(r.access is Access.OPS for r in ROUTES if r.prefix.startswith(routes.OPS_PREFIX))
    assert all(r.is_ops == (r.access is Access.OPS) for r in ROUTES)
