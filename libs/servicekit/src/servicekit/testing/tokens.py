"""A token issuer for tests: signs access tokens the way identity does and serves its JWKS.

Services' tests use it before (and independently of) the identity service;
the claims are those :mod:`servicekit.auth` reads.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servicekit.testing.smtp import free_port

AUDIENCE = "bizmall"
ISSUER = "bizmall-identity"


class TokenIssuer:
    """An Ed25519 signing key, a JWKS endpoint on a free port, and token helpers."""

    def __init__(self) -> None:
        self.kid = uuid.uuid4().hex[:12]
        self._key = Ed25519PrivateKey.generate()
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/internal/jwks"

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self._key.public_key()))
        public.update({"kid": self.kid, "use": "sig", "alg": "EdDSA"})
        return {"keys": [public]}

    async def start(self) -> None:
        async def serve(_request: web.Request) -> web.Response:
            return web.json_response(self.jwks())

        app = web.Application()
        app.router.add_get("/internal/jwks", serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def token(
        self,
        subject: str,
        *,
        roles: tuple[str, ...] = ("member",),
        entity_type: str | None = "corporation",
        verified: bool = True,
        ttl: int = 900,
        **extra: Any,
    ) -> str:
        """A signed access token."""
        now = int(time.time())
        claims = {
            "sub": subject,
            "roles": list(roles),
            "entity_type": entity_type,
            "email_verified": verified,
            "aud": AUDIENCE,
            "iss": ISSUER,
            "iat": now,
            "exp": now + ttl,
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    def member(self, member_id: str | None = None, **kwargs: Any) -> dict[str, str]:
        """Authorization headers of a (new, unless given) verified member."""
        return {"Authorization": f"Bearer {self.token(member_id or str(uuid.uuid4()), **kwargs)}"}

    def ops(self, subject: str = "ops-1") -> dict[str, str]:
        """Authorization headers of an operator (both factors done)."""
        return {"Authorization": f"Bearer {self.token(subject, roles=('ops',), entity_type=None)}"}
