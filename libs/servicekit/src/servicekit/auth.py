"""Access-token verification against the identity service's JWKS, and the
FastAPI dependencies that turn a bearer token into a :class:`Principal`.

Tokens are JWTs signed by identity with an asymmetric key; every service
verifies them locally with the public keys identity publishes at
``JWKS_URL``. The claims read are ``sub`` (member id), ``roles`` (list of
strings, ``ops`` for operators), ``entity_type`` (``corporation`` |
``sole_proprietor``) and ``email_verified`` (registration completed, R6);
``exp``, ``iat``, ``aud`` and ``iss`` are required.

The app's verifier lives on ``app.state.jwks_verifier`` (set by the
service's bootstrap, or by a test with its own keys).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import aiohttp
import jwt
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from servicekit.logging import get_logger
from servicekit.problems import Problem

_log = get_logger(__name__)

_BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_INVALID_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims of an access token."""

    subject: str
    roles: frozenset[str]
    entity_type: str | None
    verified: bool
    claims: dict[str, Any] = field(repr=False, hash=False, compare=False)

    @property
    def is_ops(self) -> bool:
        """Whether the caller is an operator of the mall."""
        return "ops" in self.roles

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """Read a principal from verified token claims."""
        roles = claims.get("roles")
        return cls(
            subject=str(claims["sub"]),
            roles=frozenset(map(str, roles)) if isinstance(roles, list) else frozenset(),
            entity_type=claims.get("entity_type"),
            verified=claims.get("email_verified") is True,
            claims=claims,
        )


def _invalid_token(en: str = "The access token is invalid.") -> Problem:
    return Problem(
        401,
        "auth.invalid_token",
        ja="アクセストークンが無効です。再度ログインしてください。",
        en=en,
        headers=_INVALID_CHALLENGE,
    )


class JWKSVerifier:
    """Verifies access tokens with the public keys served at ``jwks_url``.

    The key set is cached for ``cache_seconds``. A token signed with an
    unknown ``kid`` (identity rotated its key) triggers one refetch, but
    attempts are at least ``min_refetch_seconds`` apart, so a flood of forged kids cannot
    hammer identity. When a refetch fails the cached keys stay in use.

    Clients send the same token with every request until it expires, and a
    signature check costs about half a millisecond here, so verified tokens
    are remembered, keyed by the whole token string (so a token differing in
    any byte, signature included, is verified afresh): at most
    ``remember_tokens``, the least recently used dropped first, each only until
    its ``exp`` (never the leeway beyond it), and only while the key set is
    fresh. The memory is cleared whenever the published key set changes, which
    is how a withdrawn signing key stops admitting its tokens. Nothing else
    revokes an access token: identity revokes sessions by refusing their
    refresh tokens, and an access token lives out its short ``exp``.
    """

    def __init__(
        self,
        jwks_url: str,
        *,
        audience: str = "bizmall",
        issuer: str = "bizmall-identity",
        algorithms: Sequence[str] = ("EdDSA", "ES256", "RS256"),
        cache_seconds: float = 300,
        min_refetch_seconds: float = 10,
        leeway_seconds: float = 30,
        fetch_timeout: float = 3.0,
        remember_tokens: int = 10_000,
    ) -> None:
        self._jwks_url = jwks_url
        self._audience = audience
        self._issuer = issuer
        self._algorithms = frozenset(algorithms)
        self._cache_seconds = cache_seconds
        self._min_refetch_seconds = min_refetch_seconds
        self._leeway = leeway_seconds
        self._timeout = aiohttp.ClientTimeout(total=fetch_timeout)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._published: dict[str, dict[str, Any]] = {}
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remember_limit = remember_tokens
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        #: How many times the key set was fetched (observable in tests and logs).
        self.fetch_count = 0

    async def verify(self, token: str) -> Principal:
        """The principal of a valid ``token``.

        Raises ``Problem(401, "auth.invalid_token")`` for a malformed, unsigned,
        wrongly signed, expired or foreign (audience/issuer) token, and
        ``Problem(503, "auth.keys_unavailable")`` when no keys could ever be
        fetched.
        """
        remembered = self._verified.get(token)
        if remembered is not None:
            if remembered[1] > time.time() and self._fresh():
                self._verified.move_to_end(token)
                return remembered[0]
            del self._verified[token]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid_token() from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self._algorithms or not isinstance(kid, str):
            raise _invalid_token()

        key = await self._key(kid)
        if key is None or key.algorithm_name != alg:
            raise _invalid_token()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise _invalid_token("The access token has expired.") from None
        except jwt.PyJWTError:
            raise _invalid_token() from None
        principal = Principal.from_claims(claims)
        expires_at = float(claims["exp"])
        if expires_at > time.time():
            # A token admitted only by the leeway is verified afresh each time.
            self._remember(token, principal, expires_at)
        return principal

    def remembers(self, token: str) -> bool:
        """Whether ``token`` is held as verified (observable in tests), expired or not."""
        return token in self._verified

    @property
    def remembered(self) -> int:
        """How many verified tokens are held (at most ``remember_tokens``)."""
        return len(self._verified)

    def _remember(self, token: str, principal: Principal, expires_at: float) -> None:
        self._verified[token] = (principal, expires_at)
        self._verified.move_to_end(token)
        while len(self._verified) > self._remember_limit:
            self._verified.popitem(last=False)

    async def close(self) -> None:
        """Close the HTTP session used to fetch keys."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _key(self, kid: str) -> jwt.PyJWK | None:
        if self._fresh() and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            # Another request may have refreshed the keys while this one waited.
            if self._fresh() and kid in self._keys:
                return self._keys[kid]
            if self._may_refetch():
                await self._refresh()
            if self._fetched_at is None:
                raise Problem(
                    503,
                    "auth.keys_unavailable",
                    ja="認証サービスに接続できません。しばらくしてから再度お試しください。",
                    en="The authentication keys are unavailable. Please try again later.",
                    headers={"Retry-After": "5"},
                )
            return self._keys.get(kid)

    def _fresh(self) -> bool:
        return (
            self._fetched_at is not None
            and time.monotonic() - self._fetched_at < self._cache_seconds
        )

    def _may_refetch(self) -> bool:
        # Counted from the last attempt, not the last success: while identity
        # is down, requests must not queue up behind one failing fetch each.
        return (
            self._attempted_at is None
            or time.monotonic() - self._attempted_at >= self._min_refetch_seconds
        )

    async def _refresh(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        self.fetch_count += 1
        self._attempted_at = time.monotonic()
        try:
            async with self._session.get(self._jwks_url) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            _log.warning("jwks fetch failed", url=self._jwks_url, error=repr(exc))
            return
        published = self._published_keys(document)
        if published != self._published:
            # A withdrawn key must stop admitting the tokens it signed.
            self._verified.clear()
        self._published = published
        self._keys = self._parse(published)
        self._fetched_at = time.monotonic()
        _log.info("jwks fetched", url=self._jwks_url, kids=sorted(self._keys))

    @staticmethod
    def _published_keys(document: Any) -> dict[str, dict[str, Any]]:
        entries = document.get("keys", []) if isinstance(document, dict) else []
        return {
            entry["kid"]: entry
            for entry in entries
            if isinstance(entry, dict)
            and isinstance(entry.get("kid"), str)
            and entry.get("use", "sig") == "sig"
        }

    def _parse(self, published: dict[str, dict[str, Any]]) -> dict[str, jwt.PyJWK]:
        keys: dict[str, jwt.PyJWK] = {}
        for kid, entry in published.items():
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError as exc:
                _log.warning("jwks key skipped", kid=kid, error=str(exc))
                continue
            if key.algorithm_name in self._algorithms:
                keys[kid] = key
        return keys


# --- FastAPI dependencies -----------------------------------------------------

# Declared so that the OpenAPI schema shows the bearer scheme on protected
# routes; missing credentials are answered by bearer_principal as a problem.
_bearer_scheme = HTTPBearer(auto_error=False, description="Access token from POST /auth/login")


def _authentication_required() -> Problem:
    return Problem(
        401,
        "auth.required",
        ja="ログインが必要です。",
        en="Authentication is required.",
        headers=_BEARER_CHALLENGE,
    )


def _token_from_header(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def bearer_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)] = None,
) -> Principal:
    """The principal of the request's ``Authorization: Bearer`` token.

    401 ``auth.required`` (with ``WWW-Authenticate: Bearer``) when there is no
    bearer token; 401 ``auth.invalid_token`` when it does not verify.
    """
    token = credentials.credentials if credentials is not None else _token_from_header(request)
    if not token:
        raise _authentication_required()
    verifier: JWKSVerifier = request.app.state.jwks_verifier
    return await verifier.verify(token)


async def _verified_member(
    principal: Annotated[Principal, Depends(bearer_principal)],
) -> Principal:
    if not principal.verified:
        raise Problem(
            403,
            "auth.unverified",
            ja="メールアドレスの確認が完了していません。",
            en="The member's email address is not verified yet.",
        )
    return principal


async def _ops(principal: Annotated[Principal, Depends(bearer_principal)]) -> Principal:
    if not principal.is_ops:
        raise Problem(
            403,
            "auth.ops_only",
            ja="この操作は運営担当者のみ行えます。",
            en="Only operators may do this.",
        )
    return principal


def _not_a_member() -> Problem:
    return Problem(
        403,
        "auth.not_a_member",
        ja="会員としてログインしてください。",
        en="Only members may do this.",
    )


def member_id_of(principal: Principal) -> uuid.UUID:
    """The member id of a token's subject; 403 ``auth.not_a_member`` when it is none.

    Identity issues member ids as UUIDs; an operator's or a foreign subject is refused.
    """
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise _not_a_member() from None


async def _member_id(member: Annotated[Principal, Depends(_verified_member)]) -> uuid.UUID:
    return member_id_of(member)


#: Any caller with a valid token.
CurrentPrincipal = Annotated[Principal, Depends(bearer_principal)]
#: A logged-in member whose registration is verified (R4: ordering needs login).
CurrentMember = Annotated[Principal, Depends(_verified_member)]
#: An operator (role ``ops``); anyone else gets 403 ``auth.ops_only``.
OpsOnly = Annotated[Principal, Depends(_ops)]
#: The id of the calling verified member (403 ``auth.not_a_member`` for any other subject).
CurrentMemberId = Annotated[uuid.UUID, Depends(_member_id)]
