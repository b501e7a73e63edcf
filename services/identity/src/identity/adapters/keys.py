"""Token-signing keys (Ed25519) and access tokens.

Keys live in identity's database, the private half encrypted with
``SIGNING_KEY_SECRET``. A rotation adds a new key and retires the old one;
a retired key stays in the JWKS for one access-token lifetime, so tokens it
signed keep verifying and nobody is logged out by a rotation.

Key ages, ``iat`` and ``exp`` follow the system time, not the service's pinnable
clock: verifiers check ``exp`` against their own real clocks.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.adapters.repository import SigningKeyRepository
from identity.adapters.tables import SigningKeyRow
from identity.config import Settings
from servicekit.clock import system_clock
from servicekit.crypto import SecretBox

AUDIENCE = "bizmall"
ISSUER = "bizmall-identity"
#: How long a process signs with its cached key before checking it is still current.
CURRENT_KEY_RECHECK_SECONDS = 60


def _new_key(box: SecretBox, now: datetime) -> SigningKeyRow:
    private = Ed25519PrivateKey.generate()
    kid = uuid.uuid4().hex[:16]
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": kid, "use": "sig", "alg": "EdDSA"})
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return SigningKeyRow(
        kid=kid, public_jwk=json.dumps(public), encrypted_private_key=box.seal(pem), created_at=now
    )


class KeyRing:
    """The current signing key (cached in the process) and the published key set."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._box = SecretBox(settings.signing_key_secret)
        #: (kid, key, created_at, loaded_at) of the key this process signs with.
        self._current: tuple[str, Ed25519PrivateKey, datetime, datetime] | None = None

    async def rotate(self, keys: SigningKeyRepository) -> str:
        """Add a new current key and retire the others; returns the new kid."""
        now = system_clock()
        key = _new_key(self._box, now)
        await keys.rotate_in(key, now=now)
        self._current = None
        return key.kid

    def _cached_key(self) -> tuple[str, Ed25519PrivateKey] | None:
        """The process's key while it may sign without a look at the database."""
        if self._current is None:
            return None
        now = system_clock()
        kid, private, created_at, loaded_at = self._current
        # Re-read the current key now and then: another process may have rotated it,
        # and a retired key must stop signing well before it leaves the JWKS.
        if now - created_at < timedelta(
            seconds=self._settings.signing_key_rotation_seconds
        ) and now - loaded_at < timedelta(seconds=CURRENT_KEY_RECHECK_SECONDS):
            return kid, private
        return None

    async def _signing_key(self, keys: SigningKeyRepository) -> tuple[str, Ed25519PrivateKey]:
        cached = self._cached_key()
        if cached is not None:
            return cached
        now = system_clock()
        max_age = timedelta(seconds=self._settings.signing_key_rotation_seconds)
        await keys.lock_rotation()
        row = await keys.current()
        if row is None or now - row.created_at >= max_age:
            await self.rotate(keys)
            return await self._signing_key(keys)
        pem = self._box.open(row.encrypted_private_key).encode()
        private = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(private, Ed25519PrivateKey)
        self._current = (row.kid, private, row.created_at, now)
        return row.kid, private

    async def access_token(self, keys: SigningKeyRepository, claims: dict[str, Any]) -> str:
        """A signed access token with ``claims`` plus aud, iss, iat and exp."""
        return self._signed(*await self._signing_key(keys), claims)

    def cached_access_token(self, claims: dict[str, Any]) -> str | None:
        """:meth:`access_token` without a transaction while the process's key is current;
        None when the key must be read first (the first token, then once a minute):
        :meth:`access_token` then. A member's login signs here (issue 20)."""
        cached = self._cached_key()
        return None if cached is None else self._signed(*cached, claims)

    def _signed(self, kid: str, private: Ed25519PrivateKey, claims: dict[str, Any]) -> str:
        now = int(time.time())
        body = {
            **claims,
            "aud": AUDIENCE,
            "iss": ISSUER,
            "iat": now,
            "exp": now + self._settings.access_token_ttl_seconds,
        }
        return jwt.encode(body, private, algorithm="EdDSA", headers={"kid": kid})

    async def jwks(self, keys: SigningKeyRepository) -> list[dict[str, str]]:
        """The public keys still verifying tokens: current ones and recently retired ones."""
        await self._signing_key(keys)
        # A retired key signed tokens until retirement; they live one access-token TTL.
        # Plus the re-check interval: another process may sign with it that much longer.
        grace = self._settings.access_token_ttl_seconds + 2 * CURRENT_KEY_RECHECK_SECONDS
        horizon = system_clock() - timedelta(seconds=grace)
        return [json.loads(jwk) for jwk in await keys.public_jwks(retired_after=horizon)]
