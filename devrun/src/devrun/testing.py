"""Local stacks for the test suites, and a client of their gateway.

A suite that needs the whole system starts ``python -m devrun`` with
:func:`running_stack` on the environment :func:`stack_env` builds: a free port
base (:func:`free_port_base_for`), this test run's own databases, exchange,
queue prefix and Redis namespace, and notification sending to a real SMTP sink
in the test process. The context manager relays the stack's output to a log
file, waits for "bizmall is up", and at the end stops it with SIGINT, as a
developer's Ctrl-C would, and checks that it exited cleanly and left no
process behind.

:class:`Stack` is what a test holds: the gateway's HTTP session, the mailbox,
and the steps every journey begins with (register, verify, log in, the
operator's password-and-TOTP login, an order, its activation, a billing run).
Everything goes through the gateway, as a browser or API client would.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
import secrets
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pyotp
from stdnum.jp import cn as corporate_number_rule

from devrun.plan import SERVICES, build
from jpcalendar import first_business_day_on_or_after, to_jst
from servicekit.testing.helpers import eventually
from servicekit.testing.infra import Infra
from servicekit.testing.ports import free_port_base
from servicekit.testing.smtp import SmtpSink, free_port

#: Long enough for migrations, every process and the demo seed on a busy 2-core machine.
STARTUP_TIMEOUT = 300.0
#: How long an email may take: outbox relay, broker, consumer, sender, SMTP.
MAIL_TIMEOUT = 30.0
#: The demo operator the identity seed creates, and the password of every test member.
OPS_EMAIL = "ops-e2e@bizmall.example"
OPS_PASSWORD = "e2e-ops-password-2024"
MEMBER_PASSWORD = "e2e-member-password-2024"
#: How long an operator's session is reused (its access token lives 15 minutes).
OPS_SESSION_SECONDS = 600.0

_LINK = re.compile(r"https?://\S+")


# --------------------------------------------------------------------------- emails


def body_of(message: EmailMessage) -> str:
    """The plain-text body of an email."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage), "the email has no text part"
    return str(part.get_content())


def link_query(message: EmailMessage, path: str) -> dict[str, str]:
    """The query of the link to ``path`` in ``message`` (one value per name)."""
    for link in _LINK.findall(body_of(message)):
        parts = urlsplit(link)
        if parts.path == path:
            return {name: values[0] for name, values in parse_qs(parts.query).items()}
    raise AssertionError(f"no link to {path} in:\n{body_of(message)}")


# --------------------------------------------------------------------------- test data


def corporate_number() -> str:
    """A random 13-digit corporate number with a valid check digit."""
    base = "".join(secrets.choice("0123456789") for _ in range(12))
    return str(corporate_number_rule.calc_check_digit(base)) + base


def simple_options(order_fields: dict[str, Any]) -> dict[str, Any] | None:
    """Values for a service's required order fields (an enum's first value, an integer's
    minimum, ``True``), or None when one is a free-form string."""
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


def month_before(day: date) -> date:
    """The first day of the month before ``day``'s."""
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def today_in_japan() -> date:
    """Today's date in Japan time (the calendar every business rule uses)."""
    return to_jst(datetime.now(UTC)).date()


def last_month_start() -> date:
    """The first business day of last month (Japan time): a start whose month has ended."""
    return first_business_day_on_or_after(month_before(today_in_japan()))


# --------------------------------------------------------------------------- processes


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie awaiting its reaper is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: children, grandchildren and so on."""
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


# --------------------------------------------------------------------------- the stack


@dataclass(frozen=True)
class Credentials:
    """The demo operator the stack's identity seed creates, and the members' password."""

    ops_email: str = OPS_EMAIL
    ops_password: str = OPS_PASSWORD
    member_password: str = MEMBER_PASSWORD


DEFAULT_CREDENTIALS = Credentials()


def free_port_base_for(environ: Mapping[str, str] | None = None) -> int:
    """A port base below the ephemeral range where every port of the stack ``environ``
    describes (its replicas included) is free."""
    plan = build({**(environ or {}), "DEVRUN_PORT_BASE": "0"})
    span = max(p.port or 0 for p in plan.long_running) + 1
    return free_port_base(span=span)


async def stack_env(
    infra: Infra,
    *,
    base: int,
    var_dir: Path,
    smtp: SmtpSink | None,
    database_hint: str = "stack",
    credentials: Credentials = DEFAULT_CREDENTIALS,
    rate_limit_profile: str = "benchmark",
    otlp_endpoint: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a stack on ``base`` with this run's own databases, exchange,
    queues and Redis keys (inside the run's, so the run's clean-up removes them).

    ``smtp``: where notification sends (None: devrun's own Maildir sink on a free port).
    ``rate_limit_profile``: ``benchmark`` lifts the per-IP limits (every test request
    comes from 127.0.0.1); ``standard`` keeps them. ``otlp_endpoint``: every process
    exports its spans there, set with the standard OpenTelemetry variables only.
    ``extra``: set last (replicas, job intervals ...).
    """
    env = {**os.environ, "DEVRUN_PORT_BASE": str(base), "DEVRUN_VAR_DIR": str(var_dir)}
    if smtp is None:
        env["NOTIFICATION_SMTP_PORT"] = str(free_port())
    else:
        # An explicit SMTP host: devrun starts no Maildir sink, notification sends here.
        env["NOTIFICATION_SMTP_HOST"] = smtp.host
        env["NOTIFICATION_SMTP_PORT"] = str(smtp.port)
    env["IDENTITY_DOCUMENT_STORAGE_DIR"] = str(var_dir / "identity-documents")
    # The tests speak plain HTTP and send the refresh token in the body anyway.
    env["IDENTITY_REFRESH_COOKIE_SECURE"] = "false"
    env["BIZMALL_DEMO_OPS_EMAIL"] = credentials.ops_email
    env["BIZMALL_DEMO_OPS_PASSWORD"] = credentials.ops_password
    env["GATEWAY_RATE_LIMIT_PROFILE"] = rate_limit_profile
    # Another stack of this run may be up at the same time: each gets its own exchange,
    # queues and Redis keys. The gateway reads the maintenance windows notification
    # writes: same namespace.
    tag = uuid.uuid4().hex[:6]
    namespace = f"{infra.redis_namespace}:{tag}"
    env["GATEWAY_REDIS_URL"] = infra.redis_url
    env["GATEWAY_REDIS_NAMESPACE"] = namespace
    for app in SERVICES:
        # Explicit variables win over local mode's: this run's databases and names.
        prefix = app.upper() + "_"
        env[prefix + "DATABASE_URL"] = await infra.create_database(f"{database_hint}_{app}")
        env[prefix + "AMQP_URL"] = infra.amqp_url
        env[prefix + "REDIS_URL"] = infra.redis_url
        env[prefix + "EVENT_EXCHANGE"] = f"{infra.exchange}.{tag}"
        env[prefix + "QUEUE_PREFIX"] = f"{infra.queue_prefix}.{tag}"
        env[prefix + "REDIS_NAMESPACE"] = namespace
        # Small pools leave PostgreSQL's connections to whatever else runs on the
        # machine. (A worker's scheduled jobs each hold one for their lock: not fewer.)
        env[prefix + "DB_POOL_SIZE"] = "2"
    if otlp_endpoint is not None:
        env.update(
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=otlp_endpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_BSP_SCHEDULE_DELAY="200",
        )
        # Each process names its own service; nothing may switch the SDK off.
        env.pop("OTEL_SDK_DISABLED", None)
        env.pop("OTEL_SERVICE_NAME", None)
    env.update(extra or {})
    return env


class StackLog:
    """The stack's output: all of it in a file, the end of it in memory for failures."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tail: collections.deque[str] = collections.deque(maxlen=80)

    async def relay(self, stream: asyncio.StreamReader, up: asyncio.Event) -> None:
        """Copy ``stream`` to the file until it ends; set ``up`` when the stack is up."""
        with self.path.open("w") as file:
            while line := (await stream.readline()).decode(errors="replace"):
                file.write(line)
                file.flush()
                self._tail.append(line)
                if "bizmall is up" in line:
                    up.set()

    def tail(self) -> str:
        """The last lines of the output."""
        return "".join(self._tail)

    def text(self) -> str:
        """All of the output so far."""
        return self.path.read_text(errors="replace")


@dataclass
class RunningStack:
    """A started ``python -m devrun``: its process, its output and its process tree."""

    process: asyncio.subprocess.Process
    log: StackLog
    #: Every process below devrun once the stack was up (checked gone at the end).
    pids: list[int]


@asynccontextmanager
async def running_stack(
    env: Mapping[str, str], log_path: Path, *, timeout: float = STARTUP_TIMEOUT
) -> AsyncIterator[RunningStack]:
    """``python -m devrun`` with ``env``, up; stopped with SIGINT on leaving, which must
    end it with status 0 and no process of its tree left behind."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devrun",
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    log = StackLog(log_path)
    up = asyncio.Event()
    assert process.stdout is not None
    # The pipe must be read for the stack's whole life, or a chatty stack would block on it.
    relay = asyncio.create_task(log.relay(process.stdout, up))
    pids: list[int] = []
    try:
        ready = asyncio.ensure_future(up.wait())
        await asyncio.wait({ready, relay}, timeout=timeout, return_when="FIRST_COMPLETED")
        ready.cancel()
        if not up.is_set():
            raise AssertionError(f"the stack did not come up (log: {log.path}):\n{log.tail()}")
        pids = descendants(process.pid)
        yield RunningStack(process, log, pids)
    finally:
        pids = pids or descendants(process.pid)
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        finally:
            await asyncio.wait_for(relay, 10)
    if process.returncode != 0:
        raise AssertionError(
            f"devrun exited with {process.returncode} (log: {log.path}):\n{log.tail()}"
        )
    survivors = [pid for pid in pids if alive(pid)]
    if survivors:
        raise AssertionError(f"processes outlived the stack: {survivors}")


def gateway_session(
    base: int, *, timeout: float = 30, force_close: bool = False
) -> aiohttp.ClientSession:
    """An HTTP session on the gateway of the stack on ``base`` (relative paths).

    It keeps no cookies: sessions are bearer tokens, never shared between members.
    ``force_close``: a fresh connection per request, for a gateway that may go away.
    """
    return aiohttp.ClientSession(
        base_url=f"http://127.0.0.1:{base}",
        connector=aiohttp.TCPConnector(force_close=force_close),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


# --------------------------------------------------------------------------- the client


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
        return {p.name: f"http://127.0.0.1:{p.port}/metrics" for p in plan.long_running}

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
        return await self.smtp.wait_for(
            lambda message: address in str(message["To"]) and predicate(message),
            timeout or self.mail_timeout,
        )

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
        return {
            "service_id": service["id"],
            "plan_id": service["plans"][0]["plan_id"],
            "quantity": service["order_unit"],
            "desired_start_date": earliest,
            "options": simple_options(service["order_fields"]) if options is None else options,
        }

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

    async def run_billing(self, month: str) -> dict[str, Any]:
        """Ops bill ``month`` (``YYYY-MM``): ``POST /ops/billing/runs``."""
        ops = await self.ops_headers()
        body = {"month": month}
        async with self.http.post("/api/v1/ops/billing/runs", json=body, headers=ops) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
        return answer
