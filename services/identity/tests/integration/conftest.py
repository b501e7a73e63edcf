"""The identity app on a fresh database, served over real HTTP for its JWKS, and helpers."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
import pytest_asyncio
import sqlalchemy as sa
import uvicorn

from identity.bootstrap import SERVICE, IdentityAdapters
from identity.config import Settings
from identity.entrypoints.app import create_app
from identity.service_layer.operators import create_operator
from identity.service_layer.unit_of_work import IdentityUnitOfWork, identity_uow
from servicekit.crypto import SecretBox
from servicekit.runtime import Runtime
from servicekit.testing.service import migrate_with_cli
from servicekit.testing.smtp import free_port

STRONG_PASSWORD = "correct horse battery 42"


@dataclass
class IdentityUnderTest:
    settings: Settings
    app: Any
    base_url: str

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]

    @property
    def adapters(self) -> IdentityAdapters:
        return self.app.state.identity  # type: ignore[no-any-return]

    def uow(self) -> IdentityUnitOfWork:
        return identity_uow(self.runtime)

    def client(self, ip: str = "127.0.0.1") -> httpx.AsyncClient:
        """A client reaching the app in-process, as if from address ``ip``."""
        transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
        return httpx.AsyncClient(transport=transport, base_url="https://identity.test")

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """The ``data`` of every outbox row of ``event_type``, oldest first."""
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT envelope FROM outbox WHERE type = :t ORDER BY created_at"),
                {"t": event_type},
            )
            return [row[0]["data"] for row in rows]

    async def last_event_for(self, event_type: str, member_id: str) -> dict[str, Any]:
        matching = [e for e in await self.events(event_type) if e["member_id"] == member_id]
        assert matching, f"no {event_type} for {member_id}"
        return matching[-1]

    def unseal(self, sealed: str) -> str:
        return SecretBox(self.settings.event_secret_key).open(sealed)

    async def member_id(self, email: str) -> str:
        async with self.runtime.engine.connect() as conn:
            value = await conn.scalar(
                sa.text("SELECT id FROM members WHERE login_id = :e"), {"e": email.lower()}
            )
        assert value is not None, f"no member {email}"
        return str(value)

    async def sql(self, statement: str, **params: Any) -> None:
        async with self.runtime.engine.begin() as conn:
            await conn.execute(sa.text(statement), params)

    password = STRONG_PASSWORD

    async def ops_headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """Headers of a fresh operator who completed both factors."""
        email = f"ops-{uuid.uuid4().hex[:8]}@bizmall.example"
        assert await create_operator(
            uow=self.uow(), passwords=self.adapters.passwords, email=email, password=STRONG_PASSWORD
        )
        first = await client.post(
            "/api/v1/auth/login", json={"login_id": email, "password": STRONG_PASSWORD}
        )
        secret = first.json()["totp_enrollment"]["secret"]
        done = await client.post(
            "/api/v1/auth/login/totp",
            json={
                "challenge_token": first.json()["challenge_token"],
                "code": pyotp.TOTP(secret).now(),
            },
        )
        assert done.status_code == 200, done.text
        return {"Authorization": f"Bearer {done.json()['access_token']}"}

    async def create_ops(self, email: str, password: str) -> tuple[int, str]:
        """Run `python -m identity create-ops` against this database: exit code, output."""
        env = {**os.environ, "IDENTITY_DATABASE_URL": self.settings.database_url}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "identity",
            "create-ops",
            "--email",
            email,
            "--password",
            password,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode()

    def registration(self, **overrides: Any) -> dict[str, Any]:
        """A valid corporation registration with a unique email."""
        body: dict[str, Any] = {
            "email": f"m-{uuid.uuid4().hex[:10]}@example.co.jp",
            "password": STRONG_PASSWORD,
            "name": "山田 太郎",
            "entity_type": "corporation",
            "corporate_number": "7000012050002",
            "organization_name": "国税庁",
            "postal_code": "100-8978",
            "address": "東京都千代田区霞が関3-1-1",
            "phone": "03-3581-4161",
            "accept_privacy_policy": True,
            "name_kana": "ヤマダ タロウ",
        }
        body.update(overrides)
        return body

    async def register_and_verify(
        self, client: httpx.AsyncClient, **overrides: Any
    ) -> dict[str, Any]:
        """Register, open the verification link, log in: the body, member id and headers."""
        body = self.registration(**overrides)
        assert (await client.post("/api/v1/auth/register", json=body)).status_code == 202
        member_id = await self.member_id(body["email"])
        event = await self.last_event_for("identity.member.registered", member_id)
        token = self.unseal(event["sealed_verification_token"])
        verified = await client.post("/api/v1/auth/verify-email", json={"token": token})
        assert verified.status_code == 200, verified.text
        login = await client.post(
            "/api/v1/auth/login", json={"login_id": body["email"], "password": body["password"]}
        )
        assert login.status_code == 200, login.text
        return {
            "body": body,
            "member_id": member_id,
            "tokens": login.json(),
            "headers": {"Authorization": f"Bearer {login.json()['access_token']}"},
        }


@pytest_asyncio.fixture(scope="module")
async def identity(infra: Any, tmp_path_factory: Any) -> AsyncIterator[IdentityUnderTest]:
    """Identity on its own database with short lockouts, its JWKS on a real port."""
    port = free_port()
    settings = await infra.service_settings(
        Settings,
        jwks_url=f"http://127.0.0.1:{port}/internal/jwks",
        login_max_failures_per_account=3,
        login_lockout_seconds=1,
        argon2_memory_kib=19_456,
        argon2_time_cost=2,
        document_storage_dir=str(tmp_path_factory.mktemp("identity-documents")),
    )
    await migrate_with_cli(SERVICE, settings)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the identity test server did not start"
        await asyncio.sleep(0.02)
    try:
        yield IdentityUnderTest(settings=settings, app=app, base_url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving
        await app.state.jwks_verifier.close()
        await app.state.identity.logins.close()
        await app.state.runtime.close()
