"""One local stack (``python -m devrun``) for the security suite, with the STANDARD rate limits.

Started the way ``tests/e2e/conftest.py`` starts its stack (free port base, this run's
databases, exchange, queue prefix and Redis namespace, a real SMTP sink in this
process), with two differences that matter here:

- the gateway runs the default rate-limit profile, since the limits are under test;
  it trusts ``X-Forwarded-For`` from 127.0.0.1, so each simulated client (every
  member, every anonymous caller) gets an address of its own and one test's
  traffic never spends another's allowance;
- the stack's whole output goes straight to a file, which the log scan reads
  (a file never blocks a chatty stack the way an unread pipe would).

Everything goes through the gateway, as a browser or API client would.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pyotp
import pytest
import pytest_asyncio
from stdnum.jp import cn as corporate_number_rule

from servicekit.testing.infra import Infra
from servicekit.testing.ports import free_port_base
from servicekit.testing.smtp import SmtpSink

SERVICES = ("identity", "catalog", "ordering", "billing", "notification")
#: Long enough for migrations, eleven processes and the demo seed on a 2-core machine.
STARTUP_TIMEOUT = 300.0
MAIL_TIMEOUT = 30.0
OPS_EMAIL = "ops-security@bizmall.example"
OPS_PASSWORD = "security-ops-password-2024"
MEMBER_PASSWORD = "Sec-member-passw0rd-2024"

_LINK = re.compile(r"https?://\S+")
#: Simulated client addresses (TEST-NET-2), one per caller.
_ADDRESSES = (f"198.51.{high}.{low}" for high, low in itertools.product(range(100), range(1, 255)))


def body_of(message: EmailMessage) -> str:
    """The plain-text body of an email."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage), "the email has no text part"
    return str(part.get_content())


def link_token(message: EmailMessage, path: str) -> str:
    """The ``token`` query value of the link to ``path`` in ``message``."""
    for link in _LINK.findall(body_of(message)):
        parts = urlsplit(link)
        if parts.path == path:
            return parse_qs(parts.query)["token"][0]
    raise AssertionError(f"no link to {path} in:\n{body_of(message)}")


def corporate_number() -> str:
    """A random 13-digit corporate number with a valid check digit."""
    base = "".join(secrets.choice("0123456789") for _ in range(12))
    return corporate_number_rule.calc_check_digit(base) + base


@dataclass
class Member:
    """A registered, verified and logged-in member, calling from an address of its own."""

    email: str
    entity_type: str
    ip: str
    access_token: str
    refresh_token: str
    id: str = ""
    #: The verification token of its registration (the log scan looks for it).
    verification_token: str = field(default="", repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "X-Forwarded-For": self.ip}


@dataclass
class Stack:
    """The running stack: its gateway, its mailbox, its log and ways to get a session."""

    base_url: str
    http: aiohttp.ClientSession
    smtp: SmtpSink
    log_path: Path
    #: The environment the stack runs with (its database URLs among others).
    env: dict[str, str]
    _ops_headers: dict[str, str] | None = field(default=None, repr=False)

    corporate_number = staticmethod(corporate_number)
    member_password = MEMBER_PASSWORD

    @staticmethod
    def caller() -> dict[str, str]:
        """Headers making the next request come from a client address not used before."""
        return {"X-Forwarded-For": next(_ADDRESSES)}

    def log_text(self) -> str:
        return _read(self.log_path)

    async def mail_to(self, address: str, path: str) -> EmailMessage:
        """The first email to ``address`` holding a link to ``path`` (waits for it)."""
        return await self.smtp.wait_for(
            lambda m: address in str(m["To"]) and f"{path}?token=" in body_of(m), MAIL_TIMEOUT
        )

    async def register(
        self, headers: dict[str, str], *, entity_type: str = "corporation", number: str = ""
    ) -> str:
        """Register a new member with valid details; returns its email address."""
        address = f"sec-{uuid.uuid4().hex[:12]}@example.co.jp"
        body: dict[str, Any] = {
            "email": address,
            "password": MEMBER_PASSWORD,
            "name": "山田 太郎",
            "entity_type": entity_type,
            "organization_name": "テスト株式会社" if entity_type == "corporation" else "山田商店",
            "postal_code": "100-0001",
            "address": "東京都千代田区千代田1-1",
            "phone": "03-1234-5678",
            "accept_privacy_policy": True,
        }
        if entity_type == "corporation":
            body["corporate_number"] = number or corporate_number()
        async with self.http.post("/api/v1/auth/register", json=body, headers=headers) as r:
            assert r.status == 202, await r.text()
        return address

    async def member(self, *, entity_type: str = "corporation", number: str = "") -> Member:
        """A new member: registered, verified by the emailed link, logged in.
        ``number``: the corporate number (two members of one company share it)."""
        headers = self.caller()
        address = await self.register(headers, entity_type=entity_type, number=number)
        token = link_token(await self.mail_to(address, "/verify-email"), "/verify-email")
        async with self.http.post(
            "/api/v1/auth/verify-email", json={"token": token}, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
        session = await self.login(address, headers)
        member = Member(
            address,
            entity_type,
            headers["X-Forwarded-For"],
            session["access_token"],
            session["refresh_token"],
            verification_token=token,
        )
        async with self.http.get("/api/v1/me", headers=member.headers) as response:
            assert response.status == 200, await response.text()
            member.id = (await response.json())["id"]
        return member

    async def login(self, address: str, headers: dict[str, str]) -> dict[str, Any]:
        body = {"login_id": address, "password": MEMBER_PASSWORD}
        async with self.http.post("/api/v1/auth/login", json=body, headers=headers) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
        return answer

    async def ops_headers(self) -> dict[str, str]:
        """Headers of the demo operator's session (password, then TOTP), opened once:
        a TOTP code is good for one login only."""
        if self._ops_headers is None:
            headers = self.caller()
            body = {"login_id": OPS_EMAIL, "password": OPS_PASSWORD}
            async with self.http.post("/api/v1/auth/login", json=body, headers=headers) as r:
                challenge = await r.json()
                assert r.status == 200, challenge
            code = pyotp.TOTP(challenge["totp_enrollment"]["secret"]).now()
            body = {"challenge_token": challenge["challenge_token"], "code": code}
            async with self.http.post("/api/v1/auth/login/totp", json=body, headers=headers) as r:
                tokens = await r.json()
                assert r.status == 200, tokens
            self._ops_headers = {**headers, "Authorization": f"Bearer {tokens['access_token']}"}
        return self._ops_headers

    async def place_order(self, member: Member) -> dict[str, Any]:
        """A member's order of the first demo service whose required fields take simple
        values (an enum, an integer, a boolean); retried while ordering does not know the
        service yet (the lineup reaches it as catalog events)."""
        async with self.http.get("/api/v1/services", params={"limit": "100"}) as response:
            summaries = (await response.json())["items"]
        for summary in summaries:
            async with self.http.get(f"/api/v1/services/{summary['id']}") as response:
                service = await response.json()
            options = _simple_options(service["order_fields"])
            if options is not None and (
                member.entity_type == "corporation" or not service["requires_corporation"]
            ):
                break
        else:
            raise AssertionError("no demo service takes simple order options")
        async with self.http.get(f"/api/v1/services/{service['id']}/start-dates") as response:
            earliest = (await response.json())["earliest"]
        body = {
            "service_id": service["id"],
            "plan_id": service["plans"][0]["plan_id"],
            "quantity": service["order_unit"],
            "desired_start_date": earliest,
            "options": options,
        }
        headers = {**member.headers, "Idempotency-Key": str(uuid.uuid4())}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            async with self.http.post("/api/v1/orders", json=body, headers=headers) as response:
                answer: dict[str, Any] = await response.json()
            codes = [error.get("code") for error in answer.get("errors", [])]
            if codes != ["order.service_unavailable"] or loop.time() > deadline:
                assert response.status == 201, answer
                return answer
            await asyncio.sleep(1)


@pytest_asyncio.fixture(scope="session")
async def smtp_mailbox() -> AsyncIterator[SmtpSink]:
    """A real SMTP server for the whole session."""
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest_asyncio.fixture(scope="session")
async def stack(
    infra: Infra, smtp_mailbox: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """The whole system, started once with ``python -m devrun`` and stopped with SIGINT."""
    var_dir = tmp_path_factory.mktemp("devrun")
    base = _free_port_base()
    log_path = var_dir / "stack.log"
    env = await _stack_env(infra, smtp_mailbox, base, var_dir)
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "devrun", env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        await _until_up(process, log_path)
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{base}",
            cookie_jar=aiohttp.DummyCookieJar(),  # sessions are bearer tokens, never shared
            timeout=aiohttp.ClientTimeout(total=60),
        ) as http:
            yield Stack(f"http://127.0.0.1:{base}", http, smtp_mailbox, log_path, env)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 60)
    assert process.returncode == 0, f"devrun failed (log: {log_path})"


async def _until_up(process: asyncio.subprocess.Process, log_path: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT
    while "bizmall is up" not in (text := _read(log_path)):
        tail = text[-4000:]
        assert process.returncode is None, f"devrun ended (log: {log_path}):\n{tail}"
        assert loop.time() < deadline, f"the stack did not come up (log: {log_path}):\n{tail}"
        await asyncio.sleep(0.5)


async def _stack_env(infra: Infra, smtp: SmtpSink, base: int, var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DEVRUN_PORT_BASE": str(base), "DEVRUN_VAR_DIR": str(var_dir)}
    env["NOTIFICATION_SMTP_HOST"] = smtp.host
    env["NOTIFICATION_SMTP_PORT"] = str(smtp.port)
    env["IDENTITY_DOCUMENT_STORAGE_DIR"] = str(var_dir / "identity-documents")
    env["IDENTITY_REFRESH_COOKIE_SECURE"] = "false"
    env["BIZMALL_DEMO_OPS_EMAIL"] = OPS_EMAIL
    env["BIZMALL_DEMO_OPS_PASSWORD"] = OPS_PASSWORD
    # The limits under test: the default profile, whatever the caller's environment says.
    env["GATEWAY_RATE_LIMIT_PROFILE"] = "standard"
    env["GATEWAY_TRUSTED_PROXIES"] = "127.0.0.1"
    env["GATEWAY_REDIS_URL"] = infra.redis_url
    env["GATEWAY_REDIS_NAMESPACE"] = infra.redis_namespace
    for app in SERVICES:
        prefix = app.upper() + "_"
        env[prefix + "DATABASE_URL"] = await infra.create_database(f"sec_{app}")
        env[prefix + "AMQP_URL"] = infra.amqp_url
        env[prefix + "REDIS_URL"] = infra.redis_url
        env[prefix + "EVENT_EXCHANGE"] = infra.exchange
        env[prefix + "QUEUE_PREFIX"] = infra.queue_prefix
        env[prefix + "REDIS_NAMESPACE"] = infra.redis_namespace
        env[prefix + "DB_POOL_SIZE"] = "2"
    return env


def _read(path: Path) -> str:
    return path.read_text(errors="replace")


def _free_port_base() -> int:
    # Gateway, five APIs and five workers' ports, free and below the ephemeral range
    # (a port chosen inside it can be taken by a client connection before the bind).
    return free_port_base(span=11)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _simple_options(order_fields: dict[str, Any]) -> dict[str, Any] | None:
    options: dict[str, Any] = {}
    for name in order_fields.get("required", []):
        spec = order_fields["properties"][name]
        if "enum" in spec:
            options[name] = spec["enum"][0]
        elif spec["type"] == "integer":
            options[name] = spec.get("minimum", 1)
        elif spec["type"] == "boolean":
            options[name] = True
        else:
            return None
    return options
