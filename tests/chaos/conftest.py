"""The fault-injection suite (``make chaos``): the whole system on private servers it
may break.

The shared PostgreSQL, RabbitMQ and Redis stay untouched: this suite starts its own
PostgreSQL cluster (``initdb`` + ``pg_ctl`` in a temporary folder), its own Redis and
its own RabbitMQ node (own node name, ports, Mnesia folder and Erlang cookie), each on
a free port, and stops and removes them at the end. The stack is the one ``make dev``
runs (``devrun.plan``: the same commands, ports and variables), but its processes are
supervised here (``bizmall_testkit.supervised``), so a test can SIGKILL one of them and
start it again. Mail goes to a real SMTP server in this process that a test can stop
and start; members, orders and the operator go through the test harness's gateway
client (``bizmall_testkit.client``).

Every scenario ends with :meth:`ChaosStack.check_books`: orders accepted with 201 exist
once in ordering's database, each has exactly one confirmation email, after ops
activation and a billing run each contract has exactly one invoice per month, no
dead letter sits unexplained, every ``/readyz`` answers 200 and no process had to be
restarted to get there. Its figures are printed at the end of the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from bizmall_testkit.client import Member, Stack
from bizmall_testkit.data import Credentials, last_month_start, order_request, simple_options
from bizmall_testkit.mail import body_of
from bizmall_testkit.processes import wait_for_port
from bizmall_testkit.stack import free_port_base_for, gateway_session, local_env, service_variables
from bizmall_testkit.supervised import SupervisedStack
from devrun.plan import SERVICES
from servicekit.testing.helpers import eventually
from servicekit.testing.smtp import SmtpSink, free_port

pytestmark = pytest.mark.integration

#: Migrations, eleven processes and the seed on a busy 2-core machine.
STARTUP_TIMEOUT = 300.0
#: How long the system may take to settle after a fault (retries, redelivery, mail).
SETTLE_TIMEOUT = 180.0
CREDENTIALS = Credentials(
    ops_email="ops-chaos@bizmall.example",
    ops_password="chaos-ops-password-2024",
    member_password="chaos-member-password-2024",
)
ORDER_SUBJECT = "【bizmall】ご注文を受け付けました"
#: The SMTP server may be down for a minute: the sender's retries must outlast it.
DELIVERY_RETRY_SECONDS = "[2, 3, 5, 5, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]"

#: The sender's SMTP connections: a fault mid-send re-sends at most one message each.
SMTP_CONNECTIONS = 4
#: Figure lines of every scenario, printed in the terminal summary.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("chaos figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


# --------------------------------------------------------------------------- servers


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def _spawn(
    argv: list[str], log: Path, env: Mapping[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    """Start a server in its own process group, its output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary folder (as the ``postgres`` user
    when we are root: initdb refuses root)."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "pg"
        self.port = free_port()
        self._bin = self._bindir()
        self._as: list[str] = []
        self.dir.mkdir()
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            user = pwd.getpwnam("postgres")
            os.chown(root, user.pw_uid, user.pw_gid)
            os.chown(self.dir, user.pw_uid, user.pw_gid)

    @staticmethod
    def _bindir() -> Path:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if found:
            return found[-1].parent
        initdb = shutil.which("initdb")
        if initdb is None:
            pytest.skip("the chaos suite needs PostgreSQL's initdb and pg_ctl")
        return Path(initdb).parent

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str) -> None:
        subprocess.run([*self._as, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(
            str(self._bin / "initdb"),
            "-D",
            str(self.dir / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
            " -c max_connections=200 -c fsync=off -c synchronous_commit=off"
        )
        self._run(
            str(self._bin / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self._bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")


class PrivateRedis:
    """A ``redis-server`` of its own, without persistence."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.skip("the chaos suite needs redis-server")
        argv = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.dir)]
        self._process = _spawn(argv, self.dir / "log", os.environ, self.dir)
        await wait_for_port(self.port, timeout=30)

    async def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            await asyncio.to_thread(self._process.wait, 30)
            self._process = None
        await wait_for_port(self.port, up=False, timeout=30)


class PrivateRabbit:
    """A RabbitMQ node of its own: node name, AMQP and distribution ports, Mnesia and
    log folders, Erlang cookie (``HOME``), no plugins (so no management port)."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "rabbitmq"
        self.dir.mkdir()
        self.port, self.dist_port = _free_ports(2)
        self.node = f"chaos-{uuid.uuid4().hex[:8]}@localhost"
        bindir = Path("/usr/lib/rabbitmq/bin")
        if not (bindir / "rabbitmq-server").exists():
            found = shutil.which("rabbitmq-server")
            if found is None:
                pytest.skip("the chaos suite needs rabbitmq-server")
            bindir = Path(found).parent
        self._bin = bindir
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text("loopback_users = none\n")
        (self.dir / "rabbitmq-env.conf").write_text("ERL_EPMD_ADDRESS=127.0.0.1\n")
        self.env = {
            **os.environ,
            "HOME": str(self.dir),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    async def ctl(self, *argv: str, timeout: float = 60) -> str:
        process = await asyncio.create_subprocess_exec(
            str(self._bin / "rabbitmqctl"),
            "-n",
            self.node,
            *argv,
            env=self.env,
            cwd=self.dir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
        if process.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(argv)}: {out.decode(errors='replace')}")
        return out.decode(errors="replace")

    async def start(self) -> None:
        argv = [str(self._bin / "rabbitmq-server")]
        self._process = _spawn(argv, self.dir / "console.log", self.env, self.dir)
        await wait_for_port(self.port, timeout=120)

    async def stop_app(self) -> None:
        await self.ctl("stop_app")
        await wait_for_port(self.port, up=False, timeout=30)

    async def start_app(self) -> None:
        await self.ctl("start_app")
        await wait_for_port(self.port, timeout=60)

    async def shutdown(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(Exception):
            await self.ctl("stop", timeout=60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        await asyncio.to_thread(self._process.wait, 30)
        self._process = None


@dataclass
class Servers:
    postgres: PrivatePostgres
    redis: PrivateRedis
    rabbit: PrivateRabbit


@pytest_asyncio.fixture(scope="session")
async def servers() -> AsyncIterator[Servers]:
    """Private PostgreSQL, Redis and RabbitMQ for the suite, removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="bizmall-chaos-"))
    postgres = PrivatePostgres(root)
    redis = PrivateRedis(root)
    rabbit = PrivateRabbit(root)
    try:
        await asyncio.to_thread(postgres.init)
        await asyncio.to_thread(postgres.start)
        await redis.start()
        await rabbit.start()
        yield Servers(postgres, redis, rabbit)
    finally:
        await rabbit.shutdown()
        with contextlib.suppress(Exception):
            await redis.stop()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(postgres.stop, "immediate")
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- stack


@dataclass
class Burst:
    """What a scenario sent and what came back."""

    sent: int = 0
    #: order id -> member of every 201 answer.
    accepted: dict[str, Member] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    #: Answers that were not 201: (status, body excerpt).
    refusals: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Books:
    """The figures of one scenario's books."""

    scenario: str
    sent: int
    accepted: int
    emails: int
    resent: int
    invoices: int
    duplicates: int
    lost: int
    dead_letters: int

    def line(self) -> str:
        return (
            f"{self.scenario}: sent={self.sent} accepted={self.accepted} emails={self.emails} "
            f"invoices={self.invoices} duplicates={self.duplicates} lost={self.lost} "
            f"resent_same_message_id={self.resent} dead_letters={self.dead_letters}"
        )


class ChaosStack(SupervisedStack):
    """The running system: its processes (supervised here), its gateway, its mailbox
    and its books."""

    def __init__(
        self, env: Mapping[str, str], log_path: Path, servers: Servers, client: Stack
    ) -> None:
        super().__init__(env, log_path)
        self.servers = servers
        #: The gateway's client: members, orders, the operator's TOTP login.
        self.client = client
        self.smtp = client.smtp
        self._services: list[dict[str, Any]] | None = None
        #: Dead letters an earlier scenario reported (each scenario explains its own).
        self._dead_letters_seen: set[str] = set()

    #: See :meth:`check_books` (``max_resent``).
    smtp_connections = SMTP_CONNECTIONS

    @staticmethod
    def new_burst() -> Burst:
        return Burst()

    @property
    def queue_prefix(self) -> str:
        """The prefix of every service's queues on this stack's broker."""
        return self.env.get("DEVRUN_NAMESPACE", "bizmall")

    async def api_readiness(self) -> dict[str, int]:
        """Each service API's ``/readyz`` status right now, by process name."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:

            async def one(proc: Any) -> tuple[str, int]:
                async with http.get(proc.ready_url) as answer:
                    return proc.name, answer.status

            return dict(await asyncio.gather(*(one(p) for p in self.plan.apis)))

    # ---- the gateway and the databases (the client's)

    def url(self, path: str) -> str:
        return self.client.url(path)

    async def call(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        return await self.client.call(method, path, json=json, headers=headers)

    def dsn(self, app: str) -> str:
        return self.client.database_dsn(app)

    async def query(self, app: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.client.query(app, sql, *args)

    async def members(self, count: int) -> list[Member]:
        return await self.client.members(count)

    async def run_billing(self, month: str) -> dict[str, Any]:
        return await self.client.run_billing(month)

    async def start_billing_run(self, month: str) -> dict[str, Any]:
        return await self.client.start_billing_run(month)

    async def billing_run(self, run_id: str) -> dict[str, Any]:
        return await self.client.billing_run(run_id)

    # ---- orders

    async def services(self) -> list[dict[str, Any]]:
        """Services billed from their start month whose order fields take simple values."""
        if self._services is None:
            found = []
            for service in await self.client.lineup():
                if (
                    simple_options(service["order_fields"]) is not None
                    and not service["free_first_month"]
                    and service["plans"][0]["monthly_fee"] > 0
                ):
                    status, dates = await self.call(
                        "GET", f"/api/v1/services/{service['id']}/start-dates"
                    )
                    assert status == 200, dates
                    service["earliest"] = dates["earliest"]
                    found.append(service)
            assert found, "the demo lineup has no service billed from its start month"
            self._services = found
        return self._services

    async def order_body(self, index: int) -> dict[str, Any]:
        services = await self.services()
        service = services[index % len(services)]
        return order_request(service, service["earliest"])

    async def place(self, burst: Burst, member: Member, index: int, key: str | None = None) -> None:
        """Send one order; record the answer in ``burst``."""
        body = await self.order_body(index)
        headers = {**member.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        burst.sent += 1
        try:
            status, answer = await self.call("POST", "/api/v1/orders", json=body, headers=headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            burst.statuses[0] += 1
            burst.refusals.append((0, repr(exc)))
            return
        burst.statuses[status] += 1
        if status in (200, 201):
            burst.accepted[answer["id"]] = member
        else:
            burst.refusals.append((status, str(answer)[:200]))

    async def burst(
        self, members: list[Member], count: int, burst: Burst | None = None, *, spread: float = 0
    ) -> Burst:
        """``count`` orders spread over ``members``, ``spread`` seconds apart, all in flight
        at once (a semaphore keeps a handful of connections busy)."""
        burst = burst or Burst()
        gate = asyncio.Semaphore(8)

        async def one(i: int) -> None:
            await asyncio.sleep(i * spread)
            async with gate:
                await self.place(burst, members[i % len(members)], i)

        await asyncio.gather(*(one(i) for i in range(count)))
        return burst

    # ---- the books

    def confirmations(self, order_ids: Iterable[str]) -> dict[str, list[EmailMessage]]:
        wanted = set(order_ids)
        found: dict[str, list[EmailMessage]] = {order_id: [] for order_id in wanted}
        for message in list(self.smtp.messages):
            if not str(message["Subject"]).startswith(ORDER_SUBJECT):
                continue
            text = body_of(message)
            for line in text.splitlines():
                if line.startswith("ご注文番号："):
                    order_id = line.split("：", 1)[1].strip()
                    if order_id in found:
                        found[order_id].append(message)
        return found

    async def activate(self, order_ids: Iterable[str], start: date) -> dict[str, str]:
        """Ops accept, provision and activate each order on ``start``; order -> contract."""
        contracts: dict[str, str] = {}
        gate = asyncio.Semaphore(4)

        async def one(order_id: str) -> None:
            async with gate:
                contracts[order_id] = (await self.client.activate(order_id, start))["id"]

        await asyncio.gather(*(one(order_id) for order_id in order_ids))
        return contracts

    async def billing_knows(self, contracts: Iterable[str], members: Iterable[str]) -> None:
        """Wait until billing learned every contract and member account (events)."""
        wanted = [uuid.UUID(c) for c in contracts]
        member_ids = [uuid.UUID(m) for m in set(members)]

        async def known() -> bool:
            subscriptions = await self.query(
                "billing",
                "SELECT count(*) FROM billing_subscription WHERE contract_id = ANY($1::uuid[])",
                wanted,
            )
            accounts = await self.query(
                "billing",
                "SELECT count(*) FROM billing_account WHERE member_id = ANY($1::uuid[])",
                member_ids,
            )
            return bool(subscriptions[0][0] == len(wanted) and accounts[0][0] == len(member_ids))

        await eventually(known, timeout=SETTLE_TIMEOUT)

    async def invoices_per_contract(self, contracts: Iterable[str], month: date) -> dict[str, int]:
        """contract -> how many live invoices of ``month`` bill it."""
        wanted = [uuid.UUID(c) for c in contracts]
        rows = await self.query(
            "billing",
            "SELECT l.contract_id, count(DISTINCT i.id) FROM invoice_line l"
            " JOIN invoice i ON i.id = l.invoice_id"
            " WHERE l.contract_id = ANY($1::uuid[]) AND i.usage_month = $2 AND i.status <> 'void'"
            " GROUP BY l.contract_id",
            wanted,
            month,
        )
        counts = {str(c): 0 for c in wanted}
        counts.update({str(r[0]): int(r[1]) for r in rows})
        return counts

    async def dead_letters(self) -> list[str]:
        found: list[str] = []
        for app in SERVICES:
            rows = await self.query(app, "SELECT * FROM dead_letter")
            found += [f"{app}: {dict(r)}"[:300] for r in rows]
        # And any still in a DLQ queue, on its way to a table.
        listing = await self.servers.rabbit.ctl(
            "list_queues", "-q", "--no-table-headers", "name", "messages"
        )
        for line in listing.splitlines():
            name, _, count = line.strip().rpartition("\t")
            if name.endswith(".dlq") and count.strip().isdigit() and int(count) > 0:
                found.append(f"queue {name}: {count.strip()} messages")
        return found

    async def check_books(
        self,
        scenario: str,
        burst: Burst,
        *,
        start: date | None = None,
        months: Iterable[date] = (),
        contracts: dict[str, str] | None = None,
        max_resent: int = 0,
    ) -> Books:
        """Check the books of ``burst`` and record the scenario's figures.

        ``start``: the actual start date ops activate with (first business day of last
        month by default); the billing run bills ``months`` (that month by default).
        ``contracts``: order -> contract when the scenario activated the orders itself.
        ``max_resent``: copies of an email that may be sent again with its Message-ID —
        the sender's documented window between the SMTP server accepting a message and
        the commit marking it sent, which a fault there (SIGKILL, lost database) opens
        at most once per SMTP connection (``NOTIFICATION_DELIVERY_CONCURRENCY``).
        """
        accepted = sorted(burst.accepted)
        assert burst.statuses[500] == 0, f"500 answers: {burst.refusals}"
        # Any answer but 201/200 is a refusal that names itself (problem+json), not a crash.
        for status, text in burst.refusals:
            assert status in (0, 409, 429, 503), (status, text)

        # 1. Each accepted order exists once in ordering's database, for its member.
        rows = await self.query(
            "ordering",
            "SELECT id::text, member_id::text FROM orders WHERE id = ANY($1::uuid[])",
            [uuid.UUID(o) for o in accepted],
        )
        stored = Counter(r[0] for r in rows)
        lost_orders = [o for o in accepted if stored[o] == 0]
        assert not lost_orders, f"accepted but not stored: {lost_orders}"
        assert all(stored[o] == 1 for o in accepted)
        owners = {r[0]: r[1] for r in rows}
        assert all(owners[o] == burst.accepted[o].id for o in accepted)
        # No order of these members that nobody accepted (a 5xx that was placed anyway).
        member_ids = sorted({m.id for m in burst.accepted.values()})
        extra = await self.query(
            "ordering",
            "SELECT id::text FROM orders"
            " WHERE member_id = ANY($1::uuid[]) AND NOT id = ANY($2::uuid[])",
            [uuid.UUID(m) for m in member_ids],
            [uuid.UUID(o) for o in accepted],
        )
        unanswered = [r[0] for r in extra]

        # 2. Exactly one confirmation email per order (a copy with the same Message-ID
        # is the sender's documented crash window, reported as resent).
        async def mailed() -> bool:
            got = self.confirmations(accepted + unanswered)
            return all(got[o] for o in accepted + unanswered)

        with contextlib.suppress(AssertionError):
            await eventually(mailed, timeout=SETTLE_TIMEOUT)
        await asyncio.sleep(3)  # a late second copy would show up now
        got = self.confirmations(accepted + unanswered)
        missing = [o for o in accepted if not got[o]]
        duplicates = sum(max(0, len({m["Message-ID"] for m in got[o]}) - 1) for o in got)
        resent = sum(len(got[o]) - len({m["Message-ID"] for m in got[o]}) for o in got)
        emails = sum(len({m["Message-ID"] for m in got[o]}) for o in got)

        # 3. Activation, billing run, exactly one invoice per contract and month.
        invoices = 0
        double_billed: list[str] = []
        unbilled: list[str] = []
        if accepted:
            start = start or last_month_start()
            months = list(months) or [start.replace(day=1)]
            if contracts is None:
                contracts = await self.activate(accepted, start)
            await self.billing_knows(contracts.values(), member_ids)
            for month in months:
                # Idempotent: a month billed already issues nothing new.
                await self.run_billing(f"{month:%Y-%m}")
                counts = await self.invoices_per_contract(contracts.values(), month)
                double_billed += [c for c, n in counts.items() if n > 1]
                unbilled += [c for c, n in counts.items() if n == 0]
                invoices += await self.invoice_count(contracts.values(), month)

        # 4. Dead letters, readiness, processes.
        letters = await self.dead_letters()
        new_letters = [letter for letter in letters if letter not in self._dead_letters_seen]
        self._dead_letters_seen.update(letters)
        await self.wait_ready(timeout=SETTLE_TIMEOUT)
        books = Books(
            scenario=scenario,
            sent=burst.sent,
            accepted=len(accepted),
            emails=emails,
            resent=resent,
            invoices=invoices,
            duplicates=duplicates + len(unanswered) + len(double_billed),
            lost=len(lost_orders) + len(missing) + len(unbilled),
            dead_letters=len(new_letters),
        )
        FIGURES.append(books.line())
        print(books.line())
        assert not missing, f"orders without a confirmation email: {missing}"
        assert duplicates == 0, f"orders with more than one confirmation: {got}"
        assert resent <= max_resent, f"{resent} copies sent again (at most {max_resent})"
        assert not unanswered, f"orders stored that no 201 announced: {unanswered}"
        assert not double_billed, f"contracts invoiced twice in a month: {double_billed}"
        assert not unbilled, f"contracts without an invoice: {unbilled}"
        assert not new_letters, f"unexplained dead letters: {new_letters}"
        assert not self.dead(), f"processes died: {self.dead()}"
        return books

    async def invoice_count(self, contracts: Iterable[str], month: date) -> int:
        rows = await self.query(
            "billing",
            "SELECT count(DISTINCT i.id) FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id"
            " WHERE l.contract_id = ANY($1::uuid[]) AND i.usage_month = $2 AND i.status <> 'void'",
            [uuid.UUID(c) for c in contracts],
            month,
        )
        return int(rows[0][0])


def _stack_env(servers: Servers, smtp: SmtpSink, base: int, var_dir: Path) -> dict[str, str]:
    # Every request comes from 127.0.0.1: the benchmark rate limits (the limits have
    # their own tests).
    env = local_env(base=base, var_dir=var_dir, smtp=smtp, credentials=CREDENTIALS)
    env["DEVRUN_NAMESPACE"] = "chaos"
    env["NOTIFICATION_DELIVERY_RETRY_SECONDS"] = DELIVERY_RETRY_SECONDS
    env["NOTIFICATION_DELIVERY_CONCURRENCY"] = str(SMTP_CONNECTIONS)
    env["GATEWAY_REDIS_URL"] = servers.redis.url
    env["GATEWAY_REDIS_NAMESPACE"] = "chaos"
    # Billing runs when a test says so: the worker's catch-up runs at start only.
    env["BILLING_JOB_INTERVAL_SECONDS"] = "3600"
    # Small batches, so a run can be killed halfway.
    env["BILLING_RUN_BATCH_SIZE"] = "1"
    for app in SERVICES:
        env |= service_variables(
            app,
            database_url=servers.postgres.url(app),
            amqp_url=servers.rabbit.url,
            redis_url=servers.redis.url,
            db_pool_size="3",
        )
    return env


@pytest.fixture(scope="session")
def chaos_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="bizmall-chaos-stack-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture(scope="session")
async def stack(servers: Servers, chaos_dir: Path) -> AsyncIterator[ChaosStack]:
    """The whole system on the private servers, supervised by this process."""
    smtp = SmtpSink()
    smtp.start()
    base = free_port_base_for()
    env = _stack_env(servers, smtp, base, chaos_dir)
    log_path = Path(os.environ.get("CHAOS_LOG", str(chaos_dir / "stack.log")))
    try:
        # A fresh connection per request: a pooled one the gateway closed while idle
        # would fail the next request on the client's side, not the system's.
        async with gateway_session(base, timeout=60, force_close=True) as http:
            client = Stack(
                base=base, http=http, smtp=smtp, env=env, credentials=CREDENTIALS, mail_timeout=60
            )
            chaos = ChaosStack(env, log_path, servers, client)
            try:
                await chaos.up(timeout=STARTUP_TIMEOUT)
                await chaos.services()
                yield chaos
            finally:
                await chaos.down()
    finally:
        smtp.stop()
