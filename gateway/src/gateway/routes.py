"""The route table: which public path prefix goes to which service, and how it is guarded.

Services serve the same paths the gateway exposes (SPEC §2), so the gateway
forwards a matched path unchanged. A path that matches no entry is not
forwarded; ``/internal/...`` (service-to-service) never matches.

:data:`ROUTES` is the whole table, so a security test can derive the expected
authorization of every public prefix from it (see :func:`requires_token`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from gateway.config import SERVICES, RateClass

API_PREFIX = "/api/v1"
OPS_PREFIX = f"{API_PREFIX}/ops"

#: Methods that change state: subject to maintenance windows and the write rate limit.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Access(StrEnum):
    """Who may call a route, as far as the gateway checks (services check again)."""

    PUBLIC = "public"
    """Anyone, every method (sign-up, login, password reset, confirming a new contact
    email by the emailed link)."""
    PUBLIC_READ = "public_read"
    """Anyone may read; any write needs a bearer token."""
    MEMBER = "member"
    """A valid bearer token for every method."""
    OPS = "ops"
    """A valid bearer token carrying the ``ops`` role."""


@dataclass(frozen=True, slots=True)
class Route:
    """One public path prefix and how the gateway treats it."""

    prefix: str
    service: str
    access: Access
    strict_rate: RateClass | None = None
    """A strict per-IP limit on every request (login, registration, password reset,
    verification resend)."""

    def matches(self, path: str) -> bool:
        """Whether ``path`` is this prefix or lies below it (whole segments only)."""
        return path == self.prefix or path.startswith(self.prefix + "/")

    @property
    def is_ops(self) -> bool:
        """Operator routes are never held by a maintenance window (ops must end it)."""
        return self.access is Access.OPS


def _build_table() -> tuple[Route, ...]:
    routes = [
        Route(f"{API_PREFIX}/auth/login", "identity", Access.PUBLIC, "login"),
        Route(f"{API_PREFIX}/auth/register", "identity", Access.PUBLIC, "registration"),
        Route(f"{API_PREFIX}/auth/password-reset", "identity", Access.PUBLIC, "password_reset"),
        Route(
            f"{API_PREFIX}/auth/verify-email/resend",
            "identity",
            Access.PUBLIC,
            "verification_resend",
        ),
        Route(f"{API_PREFIX}/auth", "identity", Access.PUBLIC),
        # The link's token is the authority: the new mailbox is often on another device,
        # without a session (issue 19 item 7).
        Route(f"{API_PREFIX}/me/email/confirm", "identity", Access.PUBLIC),
        Route(f"{API_PREFIX}/me", "identity", Access.MEMBER),
        Route(f"{API_PREFIX}/services", "catalog", Access.PUBLIC_READ),
        Route(f"{API_PREFIX}/orders", "ordering", Access.MEMBER),
        Route(f"{API_PREFIX}/contracts", "ordering", Access.MEMBER),
        Route(f"{API_PREFIX}/billing", "billing", Access.MEMBER),
        Route(f"{API_PREFIX}/invoices", "billing", Access.MEMBER),
        Route(f"{API_PREFIX}/notices", "notification", Access.PUBLIC_READ),
        Route(f"{API_PREFIX}/inquiries", "notification", Access.MEMBER),
    ]
    routes += [Route(f"{OPS_PREFIX}/{name}", name, Access.OPS) for name in SERVICES]
    # Longest prefix first, so /auth/login wins over /auth.
    return tuple(sorted(routes, key=lambda route: len(route.prefix), reverse=True))


ROUTES: tuple[Route, ...] = _build_table()


# Matching walks the whole table and splits the path: a few µs on every request.
# The table is fixed, so the answer for a path never changes; the paths of the
# hot reads repeat, and a bounded cache keeps a flood of distinct paths harmless.
@functools.lru_cache(maxsize=4096)
def match(path: str) -> Route | None:
    """The route serving ``path``, or None when the gateway must not forward it."""
    if not _is_canonical(path):
        return None
    for route in ROUTES:
        if route.matches(path):
            return route
    return None


def requires_token(route: Route, method: str) -> bool:
    """Whether the gateway demands a bearer token for ``method`` on ``route``."""
    if route.access is Access.PUBLIC:
        return False
    if route.access is Access.PUBLIC_READ:
        return method in WRITE_METHODS
    return True


def _is_canonical(path: str) -> bool:
    # Dot segments and empty segments could make an upstream that normalises
    # paths serve something else (/api/v1/services/../../internal/...) than the
    # prefix the gateway checked, so such paths are not forwarded at all.
    trimmed = path[:-1] if path.endswith("/") else path
    return all(segment not in ("", ".", "..") for segment in trimmed.split("/")[1:])
