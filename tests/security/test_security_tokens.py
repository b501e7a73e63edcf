"""Tokens that must be refused: ``alg: none``, a wrong key, HS256 keyed with the public
key, an expired token signed with identity's real key, a withdrawn member's
session, and a refresh token used twice (which also ends the session it belonged to)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from typing import Any

import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.config import DEV_SIGNING_KEY_SECRET
from servicekit.crypto import SecretBox

pytestmark = pytest.mark.integration


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


async def _status(stack: Any, token: str, ip_headers: dict[str, str]) -> tuple[int, Any]:
    headers = {**ip_headers, "Authorization": f"Bearer {token}"}
    async with stack.http.get("/api/v1/me", headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def _refresh(stack: Any, member: Any, token: str) -> tuple[int, Any]:
    body = {"refresh_token": token}
    headers = {"X-Forwarded-For": member.ip}
    async with stack.http.post("/api/v1/auth/refresh", json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_forged_tokens_are_refused(stack: Any) -> None:
    member = await stack.member()
    header, claims = _parts(member.access_token)
    assert (await _status(stack, member.access_token, stack.caller()))[0] == 200
    fresh = {**claims, "iat": int(time.time()), "exp": int(time.time()) + 600}
    ops_claims = {**fresh, "roles": ["ops"]}
    forged = {
        "alg none": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(fresh)}.",
        "alg none, ops role": (
            f"{_segment({'alg': 'none', 'kid': header['kid']})}.{_segment(ops_claims)}."
        ),
        "wrong key, real kid": jwt.encode(
            fresh, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": header["kid"]}
        ),
        "wrong key, unknown kid": jwt.encode(
            fresh, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "forged"}
        ),
        "HS256 keyed with the kid": jwt.encode(
            fresh, header["kid"] * 4, algorithm="HS256", headers={"kid": header["kid"]}
        ),
        "signature of another token": (
            member.access_token.rsplit(".", 1)[0].rsplit(".", 1)[0]
            + "."
            + _segment(ops_claims)
            + "."
            + member.access_token.rsplit(".", 1)[1]
        ),
        "not a JWT": "not-a-token",
    }
    for name, token in forged.items():
        status, problem = await _status(stack, token, stack.caller())
        assert status == 401, f"{name}: {status} {problem}"
        assert problem["code"] == "auth.invalid_token", name
        # An ops route with a forged ops token.
        headers = {**stack.caller(), "Authorization": f"Bearer {token}"}
        async with stack.http.get("/api/v1/ops/ordering/orders", headers=headers) as response:
            assert response.status == 401, f"{name} on an ops route: {response.status}"


async def test_an_expired_token_signed_with_the_real_key_is_refused(stack: Any) -> None:
    member = await stack.member()
    header, claims = _parts(member.access_token)
    dsn = stack.env["IDENTITY_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        sealed = await connection.fetchval(
            "SELECT encrypted_private_key FROM signing_keys WHERE kid = $1", header["kid"]
        )
    finally:
        await connection.close()
    private_pem = SecretBox(DEV_SIGNING_KEY_SECRET).open(sealed)

    def signed(**changes: int) -> str:
        body = {**claims, **changes}
        return jwt.encode(body, private_pem, algorithm="EdDSA", headers={"kid": header["kid"]})

    now = int(time.time())
    # The same key and claims with a fresh lifetime pass, so only the expiry differs.
    assert (await _status(stack, signed(iat=now, exp=now + 300), stack.caller()))[0] == 200
    status, problem = await _status(stack, signed(iat=now - 1000, exp=now - 100), stack.caller())
    assert status == 401, problem
    assert problem["code"] == "auth.invalid_token"


async def test_a_reused_refresh_token_is_refused_and_ends_the_session(stack: Any) -> None:
    member = await stack.member()
    status, rotated = await _refresh(stack, member, member.refresh_token)
    assert status == 200, rotated
    # Past the few seconds in which the same token gets the same new pair (two tabs
    # refreshing at once, issue 19 item 6), a reuse is a replay.
    await stack.query(
        "identity",
        "UPDATE refresh_tokens SET rotated_at = rotated_at - interval '1 minute'"
        " WHERE token_hash = $1",
        hashlib.sha256(member.refresh_token.encode()).hexdigest(),
    )

    status, problem = await _refresh(stack, member, member.refresh_token)
    assert status == 401, problem
    # The reuse revoked the family: the rotated token is dead too.
    status, problem = await _refresh(stack, member, rotated["refresh_token"])
    assert status == 401, problem
    assert "access_token" not in problem


async def test_a_withdrawn_members_session_is_refused(stack: Any) -> None:
    member = await stack.member()
    async with stack.http.post("/api/v1/me/withdrawal", headers=member.headers) as response:
        assert response.status == 202, await response.text()
        request = await response.json()
    ops = await stack.ops_headers()
    path = f"/api/v1/ops/identity/withdrawals/{request['id']}/confirm"
    # A request may still be 'checking' (ordering asked in the background): retry a while.
    # The operator's writes share one per-member allowance with the other tests (the
    # Schemathesis run spends it), so a 429 waits for its Retry-After.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 150
    while True:
        async with stack.http.post(path, headers=ops) as response:
            answer = await response.json()
        if response.status == 200 or loop.time() > deadline:
            break
        wait = int(response.headers.get("Retry-After", "1")) if response.status == 429 else 1
        await asyncio.sleep(min(wait, 60))
    assert answer["status"] == "withdrawn", answer

    status, problem = await _refresh(stack, member, member.refresh_token)
    assert status == 401, problem
    body = {"login_id": member.email, "password": stack.member_password}
    headers = stack.caller()
    async with stack.http.post("/api/v1/auth/login", json=body, headers=headers) as response:
        problem = await response.json()
    assert response.status in (401, 403), problem
    assert "access_token" not in problem
    # The access token handed out before the withdrawal.
    status, problem = await _status(stack, member.access_token, stack.caller())
    assert status == 401, f"a withdrawn member's access token still reads My Page: {problem}"
