"""Access tokens are verified against identity's JWKS, served here by a real HTTP server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi import APIRouter, FastAPI
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from servicekit.auth import (
    CurrentMember,
    CurrentPrincipal,
    JWKSVerifier,
    OpsOnly,
    Principal,
)
from servicekit.problems import Problem, install_problem_handlers


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    def jwk(self) -> dict[str, Any]:
        public_key = self.private.public_key()
        if self.alg == "EdDSA":
            public = OKPAlgorithm.to_jwk(public_key, as_dict=True)
        elif self.alg == "ES256":
            public = ECAlgorithm.to_jwk(public_key, as_dict=True)
        else:
            public = RSAAlgorithm.to_jwk(public_key, as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.alg}

    def sign(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "member-1",
            "aud": "bizmall",
            "iss": "bizmall-identity",
            "iat": now,
            "exp": now + 600,
            "roles": ["member"],
            "entity_type": "corporation",
            "email_verified": True,
        }
        claims.update(overrides)
        # An override of None leaves the claim out.
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={"kid": self.kid})


def ed25519_key(kid: str | None = None) -> SigningKey:
    return SigningKey(kid or uuid.uuid4().hex, "EdDSA", ed25519.Ed25519PrivateKey.generate())


@dataclass
class JwksServer:
    """identity's key endpoint: serves whatever keys the test publishes."""

    url: str
    keys: list[SigningKey] = field(default_factory=list)
    requests: int = 0

    def publish(self, *keys: SigningKey) -> None:
        self.keys = list(keys)


@pytest.fixture
async def jwks_server() -> AsyncIterator[JwksServer]:
    state = JwksServer(url="")

    async def jwks(_: web.Request) -> web.Response:
        state.requests += 1
        return web.json_response({"keys": [key.jwk() for key in state.keys]})

    app = web.Application()
    app.router.add_get("/internal/jwks", jwks)
    server = TestServer(app)
    await server.start_server()
    state.url = str(server.make_url("/internal/jwks"))
    try:
        yield state
    finally:
        await server.close()


@pytest.fixture
async def verifier(jwks_server: JwksServer) -> AsyncIterator[JWKSVerifier]:
    verifier = JWKSVerifier(jwks_server.url)
    try:
        yield verifier
    finally:
        await verifier.close()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_token(header: dict[str, Any], hmac_secret: bytes | None = None) -> str:
    """A token built by hand: PyJWT rightly refuses to make these."""
    now = int(time.time())
    claims = {"sub": "intruder", "aud": "bizmall", "iss": "bizmall-identity", "iat": now}
    payload = claims | {"exp": now + 600}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    if hmac_secret is None:
        return f"{signing_input}."
    signature = hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def unsigned_token(kid: str) -> str:
    return forged_token({"alg": "none", "kid": kid})


async def assert_rejected(verifier: JWKSVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as caught:
        await verifier.verify(token)
    assert caught.value.status == 401
    assert caught.value.code == "auth.invalid_token"
    return caught.value


@pytest.mark.parametrize(
    "key",
    [
        ed25519_key(),
        SigningKey("es", "ES256", ec.generate_private_key(ec.SECP256R1())),
        SigningKey("rs", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ],
    ids=["EdDSA", "ES256", "RS256"],
)
async def test_valid_token_gives_its_principal(jwks_server: JwksServer, key: SigningKey) -> None:
    jwks_server.publish(key)
    verifier = JWKSVerifier(jwks_server.url)
    try:
        principal = await verifier.verify(
            key.sign(sub="m-77", roles=["member", "ops"], entity_type="sole_proprietor")
        )
    finally:
        await verifier.close()

    assert principal.subject == "m-77"
    assert principal.roles == frozenset({"member", "ops"})
    assert principal.is_ops
    assert principal.entity_type == "sole_proprietor"
    assert principal.verified
    assert principal.claims["aud"] == "bizmall"


async def test_expired_token_is_rejected(jwks_server: JwksServer, verifier: JWKSVerifier) -> None:
    key = ed25519_key()
    jwks_server.publish(key)
    now = int(time.time())

    problem = await assert_rejected(verifier, key.sign(iat=now - 7200, exp=now - 3600))

    assert problem.en == "The access token has expired."
    assert problem.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_unsigned_alg_none_token_is_rejected(
    jwks_server: JwksServer, verifier: JWKSVerifier
) -> None:
    key = ed25519_key()
    jwks_server.publish(key)

    await assert_rejected(verifier, unsigned_token(key.kid))


async def test_token_signed_by_another_key_under_a_published_kid_is_rejected(
    jwks_server: JwksServer, verifier: JWKSVerifier
) -> None:
    published = ed25519_key("identity-2024")
    jwks_server.publish(published)
    forger = ed25519_key("identity-2024")

    await assert_rejected(verifier, forger.sign(roles=["ops"]))


async def test_hmac_token_keyed_with_the_public_key_is_rejected(
    jwks_server: JwksServer, verifier: JWKSVerifier
) -> None:
    key = ed25519_key()
    jwks_server.publish(key)
    public_jwk = json.dumps(key.jwk()).encode()

    await assert_rejected(verifier, forged_token({"alg": "HS256", "kid": key.kid}, public_jwk))


@pytest.mark.parametrize(
    "claims",
    [{"aud": "another-system"}, {"iss": "someone-else"}, {"sub": None}],
    ids=["wrong-audience", "wrong-issuer", "no-subject"],
)
async def test_token_for_someone_else_is_rejected(
    jwks_server: JwksServer, verifier: JWKSVerifier, claims: dict[str, Any]
) -> None:
    key = ed25519_key()
    jwks_server.publish(key)

    await assert_rejected(verifier, key.sign(**claims))


async def test_garbage_is_rejected(verifier: JWKSVerifier) -> None:
    await assert_rejected(verifier, "not-a-token")


async def test_unknown_kid_refetches_the_keys_after_rotation(jwks_server: JwksServer) -> None:
    old, new = ed25519_key("2024"), ed25519_key("2025")
    jwks_server.publish(old)
    verifier = JWKSVerifier(jwks_server.url, min_refetch_seconds=0)
    try:
        assert (await verifier.verify(old.sign())).subject == "member-1"
        jwks_server.publish(old, new)

        principal = await verifier.verify(new.sign(sub="after-rotation"))
        await verifier.verify(new.sign())
    finally:
        await verifier.close()

    assert principal.subject == "after-rotation"
    assert jwks_server.requests == 2


async def test_tokens_of_a_withdrawn_key_are_rejected_once_the_keys_are_refetched(
    jwks_server: JwksServer,
) -> None:
    withdrawn, current = ed25519_key("2024"), ed25519_key("2025")
    jwks_server.publish(withdrawn)
    verifier = JWKSVerifier(jwks_server.url, min_refetch_seconds=0)
    old_token = withdrawn.sign()
    try:
        await verifier.verify(old_token)
        jwks_server.publish(current)
        await verifier.verify(current.sign())

        await assert_rejected(verifier, old_token)
    finally:
        await verifier.close()


async def test_a_remembered_token_is_refused_once_its_exp_has_passed(
    jwks_server: JwksServer,
) -> None:
    key = ed25519_key()
    jwks_server.publish(key)
    verifier = JWKSVerifier(jwks_server.url, leeway_seconds=0)
    expires = int(time.time()) + 2
    token = key.sign(exp=expires)
    try:
        await verifier.verify(token)
        assert verifier.remembers(token)
        await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)

        problem = await assert_rejected(verifier, token)
    finally:
        await verifier.close()
    assert "expired" in str(problem.en)
    assert not verifier.remembers(token)


async def test_a_remembered_token_answers_for_itself_only(
    jwks_server: JwksServer, verifier: JWKSVerifier
) -> None:
    key = ed25519_key()
    jwks_server.publish(key)
    first, second = key.sign(sub="member-1"), key.sign(sub="member-2")
    assert (await verifier.verify(first)).subject == "member-1"
    assert (await verifier.verify(second)).subject == "member-2"
    assert (await verifier.verify(first)).subject == "member-1"

    # The remembered token's header and claims under another token's signature.
    spliced = first.rsplit(".", 1)[0] + "." + second.rsplit(".", 1)[1]
    await assert_rejected(verifier, spliced)
    elevated = key.sign(sub="member-1", roles=["ops"])
    assert (await verifier.verify(elevated)).is_ops
    assert not (await verifier.verify(first)).is_ops


async def test_remembered_tokens_are_bounded_and_the_least_recently_used_goes_first(
    jwks_server: JwksServer,
) -> None:
    key = ed25519_key()
    jwks_server.publish(key)
    verifier = JWKSVerifier(jwks_server.url, remember_tokens=2)
    tokens = [key.sign(sub=f"member-{n}") for n in range(3)]
    try:
        await verifier.verify(tokens[0])
        await verifier.verify(tokens[1])
        await verifier.verify(tokens[0])
        await verifier.verify(tokens[2])
        assert verifier.remembered == 2
        assert [verifier.remembers(t) for t in tokens] == [True, False, True]

        # The one dropped is verified afresh, as any token would be.
        assert (await verifier.verify(tokens[1])).subject == "member-1"
        assert verifier.remembered == 2
    finally:
        await verifier.close()


async def test_a_flood_of_unknown_kids_fetches_the_keys_only_once(
    jwks_server: JwksServer, verifier: JWKSVerifier
) -> None:
    key = ed25519_key()
    jwks_server.publish(key)
    await verifier.verify(key.sign())

    for _ in range(25):
        await assert_rejected(verifier, ed25519_key().sign())

    assert jwks_server.requests == 1
    assert verifier.fetch_count == 1


async def test_keys_unreachable_on_first_use_is_a_503(closed_port: int) -> None:
    verifier = JWKSVerifier(f"http://127.0.0.1:{closed_port}/internal/jwks")
    try:
        with pytest.raises(Problem) as caught:
            await verifier.verify(ed25519_key().sign())
    finally:
        await verifier.close()

    assert caught.value.status == 503
    assert caught.value.code == "auth.keys_unavailable"


# --- the FastAPI dependencies --------------------------------------------------

router = APIRouter()


@router.get("/whoami")
async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
    return {"subject": principal.subject}


@router.get("/orders")
async def my_orders(member: CurrentMember) -> dict[str, str]:
    return {"member": member.subject}


@router.get("/ops/dead-letters")
async def dead_letters(operator: OpsOnly) -> dict[str, str]:
    return {"operator": operator.subject}


@pytest.fixture
async def client(verifier: JWKSVerifier) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.jwks_verifier = verifier
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as http:
        yield http


@pytest.fixture
def member_key(jwks_server: JwksServer) -> SigningKey:
    key = ed25519_key()
    jwks_server.publish(key)
    return key


async def test_anonymous_request_needs_authentication(
    client: httpx.AsyncClient, member_key: SigningKey
) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = await client.get("/orders", headers=headers)

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "auth.required"


async def test_invalid_token_is_a_401_problem(
    client: httpx.AsyncClient, member_key: SigningKey
) -> None:
    response = await client.get(
        "/orders", headers={"Authorization": f"Bearer {unsigned_token(member_key.kid)}"}
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "auth.invalid_token"


async def test_verified_member_reaches_member_routes(
    client: httpx.AsyncClient, member_key: SigningKey
) -> None:
    token = member_key.sign(sub="m-9")

    response = await client.get("/orders", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json() == {"member": "m-9"}


async def test_unverified_member_is_refused_but_still_authenticated(
    client: httpx.AsyncClient, member_key: SigningKey
) -> None:
    headers = {"Authorization": f"Bearer {member_key.sign(email_verified=False)}"}

    assert (await client.get("/whoami", headers=headers)).status_code == 200
    response = await client.get("/orders", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "auth.unverified"


async def test_ops_routes_refuse_members_and_admit_operators(
    client: httpx.AsyncClient, member_key: SigningKey
) -> None:
    member = {"Authorization": f"Bearer {member_key.sign()}"}
    operator = {"Authorization": f"Bearer {member_key.sign(sub='op-1', roles=['ops'])}"}

    refused = await client.get("/ops/dead-letters", headers=member)
    admitted = await client.get("/ops/dead-letters", headers=operator)

    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.ops_only"
    assert admitted.status_code == 200
    assert admitted.json() == {"operator": "op-1"}


def test_principal_repr_leaves_the_claims_out() -> None:
    principal = Principal(
        subject="m-1",
        roles=frozenset(),
        entity_type=None,
        verified=True,
        claims={"email": "someone@example.jp"},
    )

    assert "someone@example.jp" not in repr(principal)
    assert not principal.is_ops
