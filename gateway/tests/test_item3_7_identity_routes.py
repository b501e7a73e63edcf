"""Issue 19 items 3 and 7 at the gateway: "resend verification" has a strict rate class
of its own, and the contact-email confirmation link works without a session (the
token in the link is the authority)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from gateway.config import Settings
from gateway.routes import Access, match, requires_token

pytestmark = pytest.mark.integration

RESEND = "/api/v1/auth/verify-email/resend"
CONFIRM = "/api/v1/me/email/confirm"


def test_item3_resend_verification_has_a_strict_rate_class_of_its_own() -> None:
    route = match(RESEND)
    assert route is not None and route.strict_rate == "verification_resend"
    limit = Settings().rate_limits()["verification_resend"]
    assert (limit.limit, limit.window_seconds) == (5, 600)
    verify = match("/api/v1/auth/verify-email")
    assert verify is not None and verify.strict_rate is None


def test_item7_the_email_change_confirmation_needs_no_bearer_token() -> None:
    route = match(CONFIRM)
    assert route is not None and route.service == "identity"
    assert route.access is Access.PUBLIC and not requires_token(route, "POST")
    # The rest of My Page still needs a session.
    for path in ("/api/v1/me", "/api/v1/me/email", "/api/v1/me/email/confirmed"):
        other = match(path)
        assert other is not None and other.access is Access.MEMBER, path


async def test_item3_resend_answers_429_after_its_limit(
    stack: Any, client: aiohttp.ClientSession
) -> None:
    settings = stack.settings(verification_resend_rate_limit=2, login_rate_limit=1)
    async with stack.gateway(settings) as gw:
        statuses = []
        for _ in range(3):
            async with client.post(gw.url + RESEND, json={"email": "a@example.co.jp"}) as r:
                statuses.append(r.status)
        # Its own allowance: the login's is untouched.
        async with client.post(gw.url + "/api/v1/auth/login", json={}) as login:
            login_status = login.status
    assert statuses == [200, 200, 429]
    assert login_status == 200


async def test_item7_the_confirmation_link_reaches_identity_without_a_token(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.post(gateway.url + CONFIRM, json={"token": "from-the-link"}) as response:
        seen = await response.json()
    async with client.get(gateway.url + "/api/v1/me") as me:
        problem = await me.json(content_type=None)
    assert response.status == 200, seen
    assert seen["path"] == CONFIRM and seen["service"] == "identity"
    assert me.status == 401 and problem["code"] == "auth.required"
