"""Abuse: the login and password-reset limits hold under 200 fast attempts, oversized
bodies and uploads are refused, and hostile JSON gets a 4xx problem, never a 500."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from typing import Any

import pytest

from gateway.config import Settings as GatewaySettings

pytestmark = pytest.mark.integration

ATTEMPTS = 200
LOGIN_LIMIT = GatewaySettings.model_fields["login_rate_limit"].default
RESET_LIMIT = GatewaySettings.model_fields["password_reset_rate_limit"].default
MAX_BODY = GatewaySettings.model_fields["max_body_bytes"].default


async def _burst(stack: Any, path: str, body: dict[str, Any], headers: dict[str, str]) -> Counter:
    async def one() -> tuple[int, str]:
        async with stack.http.post(path, json=body, headers=headers) as response:
            await response.read()
            return response.status, response.headers.get("Content-Type", "")

    answers = await asyncio.gather(*(one() for _ in range(ATTEMPTS)))
    assert all(kind.startswith("application/problem+json") for s, kind in answers if s == 429)
    return Counter(status for status, _ in answers)


async def test_login_limit_holds_under_200_fast_attempts(stack: Any) -> None:
    member = await stack.member()
    attacker = stack.caller()
    body = {"login_id": member.email, "password": "wrong-password-1234"}

    statuses = await _burst(stack, "/api/v1/auth/login", body, attacker)

    assert statuses[429] >= ATTEMPTS - LOGIN_LIMIT, statuses
    assert sum(n for s, n in statuses.items() if s != 429) <= LOGIN_LIMIT, statuses
    assert not any(s >= 500 for s in statuses), statuses
    # The right password from the throttled address is refused too.
    right = {"login_id": member.email, "password": stack.member_password}
    async with stack.http.post("/api/v1/auth/login", json=right, headers=attacker) as response:
        answer = await response.json()
    assert response.status == 429, answer
    assert "access_token" not in answer
    assert "Retry-After" in response.headers


async def test_password_reset_limit_holds_under_200_fast_attempts(stack: Any) -> None:
    body = {"email": "nobody-reset@example.co.jp"}
    statuses = await _burst(stack, "/api/v1/auth/password-reset", body, stack.caller())
    assert statuses[429] >= ATTEMPTS - RESET_LIMIT, statuses
    assert statuses[202] <= RESET_LIMIT, statuses
    assert set(statuses) <= {202, 429}, statuses


async def test_an_oversized_body_is_refused_with_413(stack: Any) -> None:
    member = await stack.member()
    body = b'{"subject": "' + b"x" * (MAX_BODY + 1024) + b'"}'
    headers = {**member.headers, "Content-Type": "application/json"}
    async with stack.http.post("/api/v1/inquiries", data=body, headers=headers) as response:
        problem = await response.json(content_type=None)
        assert response.status == 413, problem
        assert response.headers["Content-Type"].startswith("application/problem+json")
    # A declared length over the limit is refused before any of the body is read.
    headers = {**headers, "Content-Length": str(MAX_BODY * 10)}
    async with stack.http.post("/api/v1/inquiries", data=b"{}", headers=headers) as response:
        assert response.status == 413


async def test_an_oversized_identity_document_is_refused(stack: Any) -> None:
    member = await stack.member(entity_type="sole_proprietor")
    # Under the gateway's limit, over identity's 10 MB per document.
    content = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)
    form = _document_form(content)
    async with stack.http.post(
        "/api/v1/me/identity-documents", data=form, headers=member.headers
    ) as response:
        problem = await response.json(content_type=None)
    assert response.status in (413, 422), problem
    assert response.headers["Content-Type"].startswith("application/problem+json")
    async with stack.http.get("/api/v1/me/identity-documents", headers=member.headers) as r:
        assert (await r.json())["items"] == []


def _document_form(content: bytes) -> Any:
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("document_type", "drivers_license")
    form.add_field("file", content, filename="id.pdf", content_type="application/pdf")
    return form


#: Bodies that are not what any endpoint takes: broken JSON, wrong shapes and types.
RAW_BODIES = [
    b"{",
    b'{"a": }',
    b"\xff\xfe\x00",
    b"[]",
    b"null",
    b"12",
    b'"just a string"',
    b'{"email": "\\ud800@example.co.jp", "subject": "\\ud800", "login_id": "\\udfff"}',
    b'{"subject": "a\\u0000b", "body": "\\u0000", "login_id": "\\u0000"}',
]
#: Values put into every field of a valid body, one variant per request.
HOSTILE_VALUES: list[Any] = [
    12345,
    None,
    ["a list"],
    {"an": "object"},
    True,
    "x" * (1024 * 1024),
    "\u202e\u200f右から左\u200e",
    "\u0000",
    "😀" * 1000,
    "１２３４５６７",
]

VALID_BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/auth/login": {"login_id": "a@example.co.jp", "password": "some-password-1"},
    "/api/v1/auth/register": {
        "email": "hostile@example.co.jp",
        "password": "Hostile-passw0rd-2024",
        "name": "山田 太郎",
        "entity_type": "sole_proprietor",
        "organization_name": "山田商店",
        "postal_code": "100-0001",
        "address": "東京都千代田区千代田1-1",
        "phone": "03-1234-5678",
        "accept_privacy_policy": True,
    },
    "/api/v1/inquiries": {"category": "general", "subject": "件名", "body": "本文"},
    "/api/v1/orders": {
        "service_id": "00000000-0000-0000-0000-000000000000",
        "plan_id": "basic",
        "quantity": 1,
        "desired_start_date": "2030-01-07",
        "options": {},
    },
    "/api/v1/me": {"name": "山田 花子"},
}


def _variants(valid: dict[str, Any]) -> list[tuple[bytes, bool]]:
    """Each hostile body and whether it must be refused (a wrong type or broken JSON
    must; an odd but well-typed string may be accepted as data)."""
    variants = [(body, True) for body in RAW_BODIES]
    for name in valid:
        for value in HOSTILE_VALUES:
            if type(value) is type(valid[name]) and value == valid[name]:
                continue  # the field's own valid value (accept_privacy_policy: true)
            refuse = not isinstance(value, str) or len(value) > 100_000
            variants.append((json.dumps({**valid, name: value}).encode(), refuse))
    unknown = {**valid, "unknown_field": "x", "is_admin": True}
    variants.append((json.dumps(unknown).encode(), False))
    # An escaped lone surrogate inside an otherwise valid body.
    first = next(iter(valid))
    lone = json.dumps({**valid, first: "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud83d")
    variants.append((lone.encode(), True))
    return variants


def _sketch(body: bytes) -> str:
    """The body with long runs of one character shortened, so a finding names the variant."""
    text = body.decode("utf-8", errors="replace")
    return repr(re.sub(r"(.)\1{20,}", lambda m: f"{m.group(1)}×{len(m.group(0))}", text)[:240])


@pytest.mark.parametrize("path", list(VALID_BODIES))
async def test_hostile_json_gets_a_4xx_problem_never_a_500(stack: Any, path: str) -> None:
    method = "PATCH" if path == "/api/v1/me" else "POST"
    anonymous = path.startswith("/api/v1/auth/")
    member = None if anonymous else await stack.member()
    findings = []
    for index, (body, refuse) in enumerate(_variants(VALID_BODIES[path])):
        # A fresh address each time for the strictly limited public routes; a member's
        # writes stay under the per-member write limit.
        headers = {**(stack.caller() if member is None else member.headers)}
        headers.update({"Idempotency-Key": f"hostile-{index}", "Content-Type": "application/json"})
        what = f"{method} {path} variant {index} ({len(body)} bytes) {_sketch(body)}"
        try:
            async with stack.http.request(method, path, data=body, headers=headers) as response:
                text = await response.text(errors="replace")
                kind = response.headers.get("Content-Type", "")
        except TimeoutError:
            findings.append(f"{what}: no answer in time")
            continue
        problem = kind.startswith("application/problem+json")
        where = f"{what}: {response.status} {text[:200]}"
        if response.status >= 500 or (response.status >= 400 and not problem):
            findings.append(where)
        elif response.status == 429 or (refuse and response.status < 400):
            findings.append(where)
    assert findings == [], "\n".join(findings)
