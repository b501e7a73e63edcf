"""The gateway's client in the test suites: a running stack as its tests see it.

:class:`Stack` holds the gateway's HTTP session, the mailbox and the stack's
environment, and takes the steps every journey begins with (register, verify,
log in, the operator's password-and-TOTP login, an order, its activation, a
billing run). Everything goes through the gateway, as a browser or API client
would; :meth:`Stack.query` reads a service's database to check what an answer
left behind.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from json import loads
from typing import Any

import aiohttp
import asyncpg
import pyotp

from bizmall_testkit import mail
from bizmall_testkit.data import (
    DEFAULT_CREDENTIALS,
    Credentials,
    corporate_number,
    order_request,
    simple_options,
)
from bizmall_testkit.mail import MAIL_TIMEOUT, body_of, link_query
from bizmall_testkit.stack import StackLog
from devrun.plan import build
from servicekit.testing.helpers import eventually
from servicekit.testing.infra import libpq_dsn
from servicekit.testing.smtp import SmtpSink

#: How long an operator's session is reused (its access token lives 15 minutes).
OPS_SESSION_SECONDS = 600.0


@dataclass
class Member:
    """A registered, verified and logged-in member."""

    email: str
    entity_type: str
    access_token: str
    refresh_token: str = field(default="", repr=False)
    id: str = ""
    #: The client address it calls from (``X-Forwarded-For``), on a gateway trusting it.
    ip: str = ""
    #: The token of the verification link it opened.
    verification_token: str = field(default="", repr=False)

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.access_token}"}
        if self.ip:
            headers["X-Forwarded-For"] = self.ip
        return headers


class Authenticator:
    """The demo operator's authenticator app: the TOTP secret identity hands out at the
    operator's first login only (whichever login, API or browser, comes first keeps it
    here), and the codes already spent.

    A code is good for one login only, so each login takes a code no earlier login
    used (the current step's, or a neighbour's that identity still accepts), waiting
    for the next step when all are spent.
    """

    def __init__(self) -> None:
        self.secret: str | None = None
        self._used: set[str] = set()

    async def code(self) -> str:
        """A code for the next login."""
        assert self.secret, "the operator's TOTP secret is not known yet"
        totp = pyotp.TOTP(self.secret)
        while True:
            now = time.time()
            for at in (now, now + 30, now - 30):
                code = totp.at(at)
                if code not in self._used:
                    self._used.add(code)
                    return code
            await asyncio.sleep(1)


@dataclass
class Stack:
    """A running stack as its tests see it: the gateway, the mailbox, the processes'
    ports, its output, and ways to get a session."""

    #: The gateway's port; every other process's port counts from it.
    base: int
    http: aiohttp.ClientSession
    smtp: SmtpSink
    #: The environment the stack runs with (its database URLs among others).
    env: dict[str, str] = field(default_factory=dict)
    log: StackLog | None = None
    credentials: Credentials = DEFAULT_CREDENTIALS
    mail_timeout: float = MAIL_TIMEOUT
    #: Client addresses for a gateway that trusts ``X-Forwarded-For`` from 127.0.0.1:
    #: each member and anonymous caller then gets one of its own (see :meth:`caller`).
    client_addresses: Iterator[str] | None = field(default=None, repr=False)
    authenticator: Authenticator = field(default_factory=Authenticator, repr=False)
    _ops_headers: dict[str, str] | None = field(default=None, repr=False)
    _ops_since: float = field(default=0.0, repr=False)
    _ops_login: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    text_of = staticmethod(body_of)
    link_query = staticmethod(link_query)
    corporate_number = staticmethod(corporate_number)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    @property
    def member_password(self) -> str:
        return self.credentials.member_password

    @property
    def metrics_urls(self) -> dict[str, str]:
        """Where each process serves /metrics, by process name (``gateway-api``,
        ``ordering-api``, ``ordering-worker`` ...)."""
        plan = build({**self.env, "DEVRUN_PORT_BASE": str(self.base)})
        return {p.name: p.metrics_url for p in plan.long_running if p.metrics_url}

    def log_text(self) -> str:
        """Everything the stack's processes wrote so far."""
        assert self.log is not None, "this stack's output is not kept"
        return self.log.text()

    def caller(self) -> dict[str, str]:
        """Headers making the next request come from a client address not used before
        (none when the gateway trusts no forwarded address)."""
        if self.client_addresses is None:
            return {}
        return {"X-Forwarded-For": next(self.client_addresses)}

    async def mail_to(
        self,
        address: str,
        predicate: Callable[[EmailMessage], bool] = lambda message: True,
        timeout: float | None = None,
    ) -> EmailMessage:
        """The first email to ``address`` matching ``predicate`` (waits for it)."""
        return await mail.mail_to(self.smtp, address, predicate, timeout or self.mail_timeout)

    # ---- the gateway and the databases

    def url(self, path: str) -> str:
        """The gateway's URL of ``path``."""
        return f"{self.base_url}{path}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """``method`` ``path`` through the gateway: the answer's status and its body
        (decoded JSON, else the text; None when empty), whatever the status."""
        async with self.http.request(
            method, self.url(path), json=json, headers=headers or {}
        ) as response:
            text = await response.text()
        try:
            body = loads(text) if text else None
        except ValueError:
            body = text
        return response.status, body

    def database_dsn(self, app: str) -> str:
        """The asyncpg DSN of ``app``'s database."""
        return libpq_dsn(self.env[f"{app.upper()}_DATABASE_URL"])

    async def query(self, app: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        """The rows ``sql`` finds in ``app``'s database."""
        connection = await asyncpg.connect(self.database_dsn(app))
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    # ---- members

    async def register(
        self,
        *,
        entity_type: str = "corporation",
        corporate_number: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Register a new member with valid details; returns its email address.
        ``corporate_number``: the company's (two members of one company share it)."""
        address = f"test-{uuid.uuid4().hex[:12]}@example.co.jp"
        body: dict[str, Any] = {
            "email": address,
            "password": self.member_password,
            "name": "山田 太郎",
            "entity_type": entity_type,
            "organization_name": "テスト株式会社" if entity_type == "corporation" else "山田商店",
            "postal_code": "100-0001",
            "address": "東京都千代田区千代田1-1",
            "phone": "03-1234-5678",
            "accept_privacy_policy": True,
        }
        if entity_type == "corporation":
            body["corporate_number"] = corporate_number or self.corporate_number()
        async with self.http.post(
            "/api/v1/auth/register", json=body, headers=headers or self.caller()
        ) as response:
            assert response.status == 202, await response.text()
        return address

    async def verification_token(self, address: str) -> str:
        """The token of the verification link emailed to ``address``."""
        message = await self.mail_to(address, lambda m: "/verify-email?token=" in body_of(m))
        return link_query(message, "/verify-email")["token"]

    async def verify(self, token: str, headers: Mapping[str, str] | None = None) -> None:
        """Open the verification link of ``token``."""
        async with self.http.post(
            "/api/v1/auth/verify-email", json={"token": token}, headers=headers or self.caller()
        ) as response:
            assert response.status == 200, await response.text()

    async def login(
        self, address: str, password: str = "", headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """A member's login (its tokens); ``password`` defaults to the members' one."""
        body = {"login_id": address, "password": password or self.member_password}
        async with self.http.post(
            "/api/v1/auth/login", json=body, headers=headers or self.caller()
        ) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
        return answer

    async def register_and_login(
        self, *, entity_type: str = "corporation", corporate_number: str = ""
    ) -> Member:
        """A new member: registered, verified by the emailed link, logged in
        (``entity_type``: corporation or sole_proprietor)."""
        headers = self.caller()
        address = await self.register(
            entity_type=entity_type, corporate_number=corporate_number, headers=headers
        )
        token = await self.verification_token(address)
        await self.verify(token, headers)
        session = await self.login(address, headers=headers)
        member = Member(
            address,
            entity_type,
            session["access_token"],
            session["refresh_token"],
            ip=headers.get("X-Forwarded-For", ""),
            verification_token=token,
        )
        async with self.http.get("/api/v1/me", headers=member.headers) as response:
            assert response.status == 200, await response.text()
            member.id = (await response.json())["id"]
        return member

    async def members(self, count: int) -> list[Member]:
        """``count`` new members (see :meth:`register_and_login`), registered at once."""
        return list(await asyncio.gather(*(self.register_and_login() for _ in range(count))))

    # ---- the operator

    async def ops_headers(self) -> dict[str, str]:
        """Headers of the demo operator's session (password, then TOTP), opened once and
        renewed well before its token expires: every TOTP code is good for one login."""
        async with self._ops_login:  # callers at once share one login
            if (
                self._ops_headers is None
                or time.monotonic() - self._ops_since > OPS_SESSION_SECONDS
            ):
                self._ops_headers = await self._ops_log_in()
                self._ops_since = time.monotonic()
        return self._ops_headers

    async def _ops_log_in(self) -> dict[str, str]:
        headers = self.caller()
        body = {"login_id": self.credentials.ops_email, "password": self.credentials.ops_password}
        async with self.http.post("/api/v1/auth/login", json=body, headers=headers) as r:
            challenge = await r.json()
            assert r.status == 200, challenge
        assert challenge["mfa_required"] is True, challenge
        if "totp_enrollment" in challenge:
            # The first login: identity hands out the secret to enrol an authenticator.
            self.authenticator.secret = challenge["totp_enrollment"]["secret"]
        body = {
            "challenge_token": challenge["challenge_token"],
            "code": await self.authenticator.code(),
        }
        async with self.http.post("/api/v1/auth/login/totp", json=body, headers=headers) as r:
            tokens = await r.json()
            assert r.status == 200, tokens
        return {**headers, "Authorization": f"Bearer {tokens['access_token']}"}

    # ---- the lineup, orders, contracts and invoices

    async def lineup(self) -> list[dict[str, Any]]:
        """Every published service in full (``GET /services/{id}``), in lineup order."""
        async with self.http.get("/api/v1/services", params={"limit": "100"}) as response:
            assert response.status == 200, await response.text()
            summaries = (await response.json())["items"]
        services = []
        for summary in summaries:
            async with self.http.get(f"/api/v1/services/{summary['id']}") as response:
                assert response.status == 200, await response.text()
                services.append(await response.json())
        return services

    async def service_by_slug(self, slug: str) -> dict[str, Any]:
        """One published service in full."""
        (service,) = [s for s in await self.lineup() if s["slug"] == slug]
        return service

    async def order_body(
        self, service: dict[str, Any], options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An order of one order unit of ``service``'s first plan from its earliest start
        date; ``options`` default to :func:`simple_options`."""
        async with self.http.get(f"/api/v1/services/{service['id']}/start-dates") as response:
            assert response.status == 200, await response.text()
            earliest = (await response.json())["earliest"]
        return order_request(service, earliest, options)

    async def order(
        self,
        member: Member,
        body: dict[str, Any],
        *,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> tuple[int, dict[str, Any]]:
        """``POST /orders`` with ``key`` (default: a fresh one) as Idempotency-Key: the
        answer's status and body.

        The lineup reaches ordering as catalog's events; until its copy is there the
        answer is ``order.service_unavailable``, so that answer alone is retried.
        """
        sent = {**member.headers, "Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})}

        async def attempt() -> tuple[int, dict[str, Any]] | None:
            async with self.http.post("/api/v1/orders", json=body, headers=sent) as response:
                answer: dict[str, Any] = await response.json()
            if [e.get("code") for e in answer.get("errors", [])] == ["order.service_unavailable"]:
                return None
            return response.status, answer

        found: tuple[int, dict[str, Any]] = await eventually(attempt, timeout=timeout)
        return found

    async def place_order(
        self,
        member: Member,
        service: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``member``'s order of ``service`` (see :meth:`order_body`), accepted (201).
        Without ``service``: the first of the lineup whose order fields take simple
        values and that ``member`` may order."""
        if service is None:
            service = next(
                (
                    s
                    for s in await self.lineup()
                    if simple_options(s["order_fields"]) is not None
                    and (member.entity_type == "corporation" or not s["requires_corporation"])
                ),
                None,
            )
            assert service is not None, "no demo service takes simple order options"
        status, order = await self.order(member, await self.order_body(service, options))
        assert status == 201, order
        return order

    async def activate(self, order_id: str, start: date) -> dict[str, Any]:
        """Ops accept, provision and activate ``order_id`` on ``start``; returns the
        contract."""
        ops = await self.ops_headers()
        path = f"/api/v1/ops/ordering/orders/{order_id}"
        for action in ("accept", "start-provisioning"):
            async with self.http.post(f"{path}/{action}", headers=ops) as response:
                assert response.status == 200, await response.text()
        body = {"start_date": start.isoformat()}
        async with self.http.post(f"{path}/activate", json=body, headers=ops) as response:
            activation = await response.json()
            assert response.status == 200, activation
        contract: dict[str, Any] = activation["contract"]
        assert contract["start_date"] == start.isoformat(), contract
        return contract

    async def start_billing_run(self, month: str) -> dict[str, Any]:
        """Ops start billing ``month`` (``YYYY-MM``): ``POST /ops/billing/runs`` answers
        202 with the queued run (R39)."""
        ops = await self.ops_headers()
        body = {"month": month}
        async with self.http.post("/api/v1/ops/billing/runs", json=body, headers=ops) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 202, answer
        return answer

    async def billing_run(self, run_id: str) -> dict[str, Any]:
        """``GET /ops/billing/runs/{id}``: the run with its progress so far."""
        ops = await self.ops_headers()
        async with self.http.get(f"/api/v1/ops/billing/runs/{run_id}", headers=ops) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
        return answer

    async def run_billing(self, month: str, *, timeout: float = 300.0) -> dict[str, Any]:
        """Ops bill ``month``: start the run, then poll it until the billing worker has
        finished it; returns the finished run (``invoices_issued``, ``failed_groups``…)."""
        run_id = (await self.start_billing_run(month))["id"]

        async def finished() -> dict[str, Any] | None:
            run = await self.billing_run(run_id)
            return run if run["status"] in ("done", "failed") else None

        run: dict[str, Any] = await eventually(finished, timeout=timeout)
        assert run["status"] == "done", run
        return run
