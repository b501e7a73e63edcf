"""One whole local stack (``python -m devrun``) shared by every end-to-end test.

The stack runs on a free port base with this run's own databases, exchange,
queue prefix and Redis namespace (as ``tests/deploy/test_devrun.py`` starts
one), so it never meets a developer's ``make dev`` stack or another test run.
Its notification service sends to a real SMTP sink living in this process;
tests read the emails there as a member would read their mailbox.

Everything goes through the gateway, as a browser or API client would.
"""

from __future__ import annotations

import asyncio
import collections
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
#: How long an email may take: outbox relay, broker, consumer, sender, SMTP.
MAIL_TIMEOUT = 30.0
OPS_EMAIL = "ops-e2e@bizmall.example"
OPS_PASSWORD = "e2e-ops-password-2024"
MEMBER_PASSWORD = "e2e-member-password-2024"

_LINK = re.compile(r"https?://\S+")


def body_of(message: EmailMessage) -> str:
    """The plain-text body of an email."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text part"
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def link_query(message: EmailMessage, path: str) -> dict[str, str]:
    """The query of the link to ``path`` in ``message`` (one value per name)."""
    for link in _LINK.findall(body_of(message)):
        parts = urlsplit(link)
        if parts.path == path:
            return {name: values[0] for name, values in parse_qs(parts.query).items()}
    raise AssertionError(f"no link to {path} in:\n{body_of(message)}")


@dataclass
class Member:
    """A registered, verified and logged-in member."""

    email: str
    entity_type: str
    access_token: str
    id: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Stack:
    """The running stack: its gateway, its mailbox and ways to get a session."""

    base_url: str
    http: aiohttp.ClientSession
    smtp: SmtpSink
    _ops_headers: dict[str, str] | None = field(default=None, repr=False)

    text_of = staticmethod(body_of)
    link_query = staticmethod(link_query)

    async def mail_to(
        self, address: str, predicate: Any = lambda message: True, timeout: float = MAIL_TIMEOUT
    ) -> EmailMessage:
        """The first email to ``address`` matching ``predicate`` (waits for it)."""
        return await self.smtp.wait_for(
            lambda message: address in str(message["To"]) and predicate(message), timeout
        )

    async def register(self, *, entity_type: str = "corporation") -> str:
        """Register a new member with valid details; returns its email address."""
        address = f"e2e-{uuid.uuid4().hex[:12]}@example.co.jp"
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
            body["corporate_number"] = corporate_number()
        async with self.http.post("/api/v1/auth/register", json=body) as response:
            assert response.status == 202, await response.text()
        return address

    async def verification_token(self, address: str) -> str:
        """The token of the verification link emailed to ``address``."""
        message = await self.mail_to(address, lambda m: "/verify-email?token=" in body_of(m))
        return link_query(message, "/verify-email")["token"]

    async def login(self, address: str, password: str = MEMBER_PASSWORD) -> dict[str, Any]:
        async with self.http.post(
            "/api/v1/auth/login", json={"login_id": address, "password": password}
        ) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
        return answer

    async def register_and_login(self, *, entity_type: str = "corporation") -> Member:
        """Register, open the emailed verification link, log in (``entity_type``:
        corporation or sole_proprietor)."""
        address = await self.register(entity_type=entity_type)
        token = await self.verification_token(address)
        async with self.http.post("/api/v1/auth/verify-email", json={"token": token}) as response:
            assert response.status == 200, await response.text()
        answer = await self.login(address)
        member = Member(address, entity_type, answer["access_token"])
        async with self.http.get("/api/v1/me", headers=member.headers) as response:
            assert response.status == 200, await response.text()
            member.id = (await response.json())["id"]
        return member

    async def ops_headers(self) -> dict[str, str]:
        """Headers of the demo operator's session (password, then TOTP).

        The session is opened once and shared: a TOTP code is good for one
        login only, so a second login within the same 30 s step would fail.
        """
        if self._ops_headers is None:
            async with self.http.post(
                "/api/v1/auth/login", json={"login_id": OPS_EMAIL, "password": OPS_PASSWORD}
            ) as response:
                challenge = await response.json()
                assert response.status == 200, challenge
            assert challenge["mfa_required"] is True
            # First login: identity hands out the secret to enrol an authenticator.
            secret = challenge["totp_enrollment"]["secret"]
            code = pyotp.TOTP(secret).now()
            body = {"challenge_token": challenge["challenge_token"], "code": code}
            async with self.http.post("/api/v1/auth/login/totp", json=body) as response:
                tokens = await response.json()
                assert response.status == 200, tokens
            self._ops_headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        return self._ops_headers


def corporate_number() -> str:
    """A random 13-digit corporate number with a valid check digit."""
    base = "".join(secrets.choice("0123456789") for _ in range(12))
    return corporate_number_rule.calc_check_digit(base) + base


@pytest_asyncio.fixture(scope="session")
async def smtp_mailbox() -> AsyncIterator[SmtpSink]:
    """A real SMTP server for the whole session (on the session's event loop)."""
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
    env = await _stack_env(infra, smtp_mailbox, base, var_dir)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devrun",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    log = _StackLog(var_dir / "stack.log")
    up = asyncio.Event()
    assert process.stdout is not None
    # The pipe must be read for the whole session, or a chatty stack would block on it.
    relay = asyncio.create_task(log.relay(process.stdout, up))
    pids: list[int] = []
    try:
        ready = asyncio.ensure_future(up.wait())
        await asyncio.wait({ready, relay}, timeout=STARTUP_TIMEOUT, return_when="FIRST_COMPLETED")
        ready.cancel()
        assert up.is_set(), f"the stack did not come up (log: {log.path}):\n{log.tail()}"
        pids = _descendants(process.pid)
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{base}",
            cookie_jar=aiohttp.DummyCookieJar(),  # sessions are bearer tokens, never shared
            timeout=aiohttp.ClientTimeout(total=30),
        ) as http:
            yield Stack(base_url=f"http://127.0.0.1:{base}", http=http, smtp=smtp_mailbox)
    finally:
        pids = pids or _descendants(process.pid)
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        finally:
            await asyncio.wait_for(relay, 10)
    assert process.returncode == 0, f"devrun failed (log: {log.path}):\n{log.tail()}"
    assert [pid for pid in pids if _alive(pid)] == [], "processes outlived the stack"


async def _stack_env(infra: Infra, smtp: SmtpSink, base: int, var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DEVRUN_PORT_BASE": str(base), "DEVRUN_VAR_DIR": str(var_dir)}
    # An explicit SMTP host: devrun starts no Maildir sink, notification sends here.
    env["NOTIFICATION_SMTP_HOST"] = smtp.host
    env["NOTIFICATION_SMTP_PORT"] = str(smtp.port)
    env["IDENTITY_DOCUMENT_STORAGE_DIR"] = str(var_dir / "identity-documents")
    # The tests speak plain HTTP and send the refresh token in the body anyway.
    env["IDENTITY_REFRESH_COOKIE_SECURE"] = "false"
    env["BIZMALL_DEMO_OPS_EMAIL"] = OPS_EMAIL
    env["BIZMALL_DEMO_OPS_PASSWORD"] = OPS_PASSWORD
    # Every request comes from 127.0.0.1: the standard per-IP limits (5 registrations
    # per 10 minutes) would refuse the tests' members. The limits have their own tests.
    env["GATEWAY_RATE_LIMIT_PROFILE"] = "benchmark"
    # Another stack of this run (the browser tests') may be up at the same time: each
    # gets its own exchange, queues and Redis keys, inside the run's for clean-up.
    tag = uuid.uuid4().hex[:6]
    namespace = f"{infra.redis_namespace}:{tag}"
    # The gateway reads the maintenance windows notification writes: same namespace.
    env["GATEWAY_REDIS_URL"] = infra.redis_url
    env["GATEWAY_REDIS_NAMESPACE"] = namespace
    for app in SERVICES:
        # Explicit variables win over local mode's: this run's databases and names.
        prefix = app.upper() + "_"
        env[prefix + "DATABASE_URL"] = await infra.create_database(f"e2e_{app}")
        env[prefix + "AMQP_URL"] = infra.amqp_url
        env[prefix + "REDIS_URL"] = infra.redis_url
        env[prefix + "EVENT_EXCHANGE"] = f"{infra.exchange}.{tag}"
        env[prefix + "QUEUE_PREFIX"] = f"{infra.queue_prefix}.{tag}"
        env[prefix + "REDIS_NAMESPACE"] = namespace
        # The tests send a request at a time; small pools leave PostgreSQL's
        # connections (100 by default) to whatever else runs on the machine.
        env[prefix + "DB_POOL_SIZE"] = "2"
    return env


class _StackLog:
    """The stack's output: all of it in a file, the end of it in memory for failures."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tail: collections.deque[str] = collections.deque(maxlen=80)

    async def relay(self, stream: asyncio.StreamReader, up: asyncio.Event) -> None:
        with self.path.open("w") as file:
            while line := (await stream.readline()).decode(errors="replace"):
                file.write(line)
                file.flush()
                self._tail.append(line)
                if "bizmall is up" in line:
                    up.set()

    def tail(self) -> str:
        return "".join(self._tail)


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


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie awaiting its reaper is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = list(children.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending += children.get(child, [])
    return found
