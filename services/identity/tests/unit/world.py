"""One identity service in memory for a unit test: the fake unit of work, the fake
adapters, real settings and secret boxes, a pinned clock, and shortcuts."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet

from bizmall_events.identity import MemberRegistered
from identity.config import Settings
from identity.domain.documents import IdentityDocument
from identity.domain.member import Member, Registration
from identity.service_layer import documents, password_reset, registration, sessions
from servicekit.crypto import SecretBox

from .fakes import (
    FakeChallenges,
    FakeCooldown,
    FakeDocumentStore,
    FakeFloor,
    FakeIdentityUnitOfWork,
    FakeKeys,
    FakeLoginStore,
    FakeOrdering,
    FakePasswords,
    FakeRotations,
    FakeThrottle,
)

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery 42"
IP = "192.0.2.10"


def registration_of(email: str | None = None, **overrides: Any) -> Registration:
    """A corporation's registration (R5) with a unique email unless one is given."""
    values: dict[str, Any] = {
        "email": email or f"m-{uuid.uuid4().hex[:8]}@example.co.jp",
        "name": "山田 太郎",
        "entity_type": "corporation",
        "corporate_number": "7000012050002",
        "organization_name": "国税庁",
        "postal_code": "1008978",
        "address": "東京都千代田区霞が関3-1-1",
        "phone": "0335814161",
        "name_kana": "ヤマダ タロウ",
    }
    values.update(overrides)
    return Registration(**values)


@dataclass
class World:
    settings: Settings = field(default_factory=Settings)
    uow: FakeIdentityUnitOfWork = field(default_factory=lambda: FakeIdentityUnitOfWork(now=NOW))
    event_box: SecretBox = field(default_factory=lambda: SecretBox(Fernet.generate_key().decode()))
    secret_box: SecretBox = field(default_factory=lambda: SecretBox(Fernet.generate_key().decode()))
    keys: FakeKeys = field(default_factory=FakeKeys)
    challenges: FakeChallenges = field(default_factory=FakeChallenges)
    store: FakeDocumentStore = field(default_factory=FakeDocumentStore)
    ordering: FakeOrdering = field(default_factory=FakeOrdering)

    def __post_init__(self) -> None:
        self.passwords = FakePasswords(self.uow)
        self.logins = FakeLoginStore(self.uow)
        self.throttle = FakeThrottle(self.settings)
        self.rotations = FakeRotations(self.settings.refresh_grace_seconds)
        self.floor = FakeFloor(self.settings.anonymous_answer_floor_seconds)
        self.cooldown = FakeCooldown(self.settings)

    # --- the clock --------------------------------------------------------------

    def later(self, **delta: float) -> None:
        """Move the pinned clock forward."""
        self.uow.clock.pin(self.uow.now() + timedelta(**delta))

    # --- reading what happened ---------------------------------------------------

    def member(self, email: str) -> Member:
        found = [m for m in self.uow.members if m.login_id == email.lower()]
        assert found, f"no member {email}"
        # The account holding the login ID: a withdrawn one released it (R8).
        live = [m for m in found if m.holds_login_id]
        return (live or found)[-1]

    def unseal(self, sealed: str) -> str:
        return self.event_box.open(sealed)

    def verification_token(self, member: Member) -> str:
        events = [e for e in self.uow.events_of(MemberRegistered) if e.member_id == member.id]
        return self.unseal(events[-1].sealed_verification_token)

    # --- shortcuts to handlers ----------------------------------------------------

    async def register(self, reg: Registration | None = None, password: str = PASSWORD) -> Member:
        reg = reg or registration_of()
        await registration.register(
            uow=self.uow,
            passwords=self.passwords,  # type: ignore[arg-type]
            event_box=self.event_box,
            settings=self.settings,
            registration=reg,
            password=password,
        )
        return self.member(reg.email)

    async def verified_member(self, reg: Registration | None = None) -> Member:
        member = await self.register(reg)
        await registration.verify_email(uow=self.uow, token=self.verification_token(member))
        return member

    async def login(
        self, login_id: str, password: str = PASSWORD, ip: str = IP
    ) -> sessions.Session | sessions.OpsChallenge:
        return await sessions.login(
            uow=self.uow,
            logins=self.logins,  # type: ignore[arg-type]
            passwords=self.passwords,  # type: ignore[arg-type]
            throttle=self.throttle,  # type: ignore[arg-type]
            challenges=self.challenges,  # type: ignore[arg-type]
            keys=self.keys,  # type: ignore[arg-type]
            secret_box=self.secret_box,
            settings=self.settings,
            login_id=login_id,
            password=password,
            ip=ip,
        )

    async def refresh(self, token: str) -> sessions.Session:
        return await sessions.refresh(
            uow=self.uow,
            keys=self.keys,  # type: ignore[arg-type]
            settings=self.settings,
            rotations=self.rotations,  # type: ignore[arg-type]
            token=token,
        )

    async def login_totp(self, challenge: str, code: str) -> sessions.Session:
        return await sessions.login_totp(
            uow=self.uow,
            challenges=self.challenges,  # type: ignore[arg-type]
            throttle=self.throttle,  # type: ignore[arg-type]
            keys=self.keys,  # type: ignore[arg-type]
            secret_box=self.secret_box,
            settings=self.settings,
            challenge=challenge,
            code=code,
        )

    async def session_of(self, member: Member) -> sessions.Session:
        session = await self.login(member.login_id)
        assert isinstance(session, sessions.Session)
        return session

    async def upload_document(
        self, member: Member, content: bytes, document_type: str = "drivers_license"
    ) -> IdentityDocument:
        """``member`` uploads ``content`` (read from a file, as the route hands it over)."""
        return await documents.upload(
            uow=self.uow,
            store=self.store,  # type: ignore[arg-type]
            max_bytes=self.settings.document_max_bytes,
            max_pending=self.settings.document_max_pending,
            member_id=member.id,
            document_type=document_type,
            source=io.BytesIO(content),
        )

    async def request_reset(self, email: str) -> None:
        await password_reset.request_password_reset(
            uow=self.uow,
            event_box=self.event_box,
            settings=self.settings,
            floor=self.floor,  # type: ignore[arg-type]
            email=email,
        )

    async def resend_verification(self, email: str) -> None:
        await registration.resend_verification(
            uow=self.uow,
            event_box=self.event_box,
            settings=self.settings,
            floor=self.floor,  # type: ignore[arg-type]
            cooldown=self.cooldown,  # type: ignore[arg-type]
            email=email,
        )
