"""One-time link tokens and refresh-token session families (R4, R6, R9, R10).

A token is handed out once and stored only as its SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from identity.domain.errors import LinkTokenRefused, RefreshTokenReused, SessionInvalid

VERIFY, RESET, EMAIL_CHANGE = "verify_email", "password_reset", "email_change"


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(eq=False)
class LinkToken:
    """A link token (verification, password reset, email change)."""

    token_hash: str
    purpose: str
    member_id: uuid.UUID
    expires_at: datetime
    #: The new contact email an email-change token confirms.
    payload: str | None = None
    used_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        *,
        purpose: str,
        member_id: uuid.UUID,
        ttl_seconds: int,
        now: datetime,
        payload: str | None = None,
    ) -> tuple[LinkToken, str]:
        """A new token for ``purpose`` and the token itself (sent, never stored)."""
        token = _new_token()
        link = cls(
            token_hash=digest(token),
            purpose=purpose,
            member_id=member_id,
            payload=payload,
            expires_at=now + timedelta(seconds=ttl_seconds),
            created_at=now,
        )
        return link, token

    def consume(self, *, now: datetime, resend_path: str | None = None) -> None:
        """Mark the token used; ``token.used`` or ``token.expired`` when it cannot be."""
        if self.used_at is not None:
            raise LinkTokenRefused("used", resend_path=resend_path)
        if self.expires_at <= now:
            raise LinkTokenRefused("expired", resend_path=resend_path)
        self.used_at = now


@dataclass(eq=False)
class RefreshToken:
    """One refresh token of a session family; rotating it marks it used."""

    token_hash: str
    family_id: uuid.UUID
    member_id: uuid.UUID
    #: Comma-separated roles of the session (``member`` or ``ops``).
    roles: str
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime | None = field(default=None)

    @classmethod
    def open_family(
        cls, *, member_id: uuid.UUID, roles: list[str], ttl_seconds: int, now: datetime
    ) -> tuple[RefreshToken, str]:
        """The first token of a new session family, and the token itself."""
        token = _new_token()
        row = cls(
            token_hash=digest(token),
            family_id=uuid.uuid4(),
            member_id=member_id,
            roles=",".join(roles),
            expires_at=now + timedelta(seconds=ttl_seconds),
            created_at=now,
        )
        return row, token

    @property
    def role_list(self) -> list[str]:
        return self.roles.split(",")

    def rotated_within(self, seconds: float, *, now: datetime) -> bool:
        """Whether this token was rotated less than ``seconds`` ago (the grace window in
        which a second use is a parallel refresh, not a replay)."""
        return self.rotated_at is not None and now - self.rotated_at < timedelta(seconds=seconds)

    def rotate(self, *, now: datetime) -> tuple[RefreshToken, str]:
        """Mark this token used and return its successor in the family (same expiry).

        A revoked or expired token is refused; an already rotated one means it was
        stolen or replayed (``RefreshTokenReused``: the caller revokes the family).
        """
        if self.revoked_at is not None or self.expires_at <= now:
            raise SessionInvalid()
        if self.rotated_at is not None:
            raise RefreshTokenReused()
        self.rotated_at = now
        token = _new_token()
        successor = RefreshToken(
            token_hash=digest(token),
            family_id=self.family_id,
            member_id=self.member_id,
            roles=self.roles,
            expires_at=self.expires_at,
            created_at=now,
        )
        return successor, token
