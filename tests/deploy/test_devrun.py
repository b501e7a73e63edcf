"""Local mode (``make dev``): its plan agrees with compose.yaml, its SMTP sink
keeps mail as a Maildir, its supervisor leaves no process behind, and the
whole stack comes up beside any other one and stops on SIGINT."""

from __future__ import annotations

import asyncio
import email
import email.policy
import importlib
import signal
import smtplib
import socket
import sys
import textwrap
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bizmall_testkit.processes import alive
from bizmall_testkit.stack import free_port_base_for, running_stack, stack_env
from devrun import plan as devrun_plan
from devrun.smtp_sink import MaildirSink
from servicekit.demo import DEFAULT_DEMO_MEMBER_EMAIL, DEFAULT_DEMO_MEMBER_PASSWORD

SERVICES = devrun_plan.SERVICES
#: The compose service running each role of an app.
COMPOSE_NAME = {"migrate": "{}-migrate", "api": "{}", "worker": "{}-worker", "seed": "{}-seed"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_replicas_get_ports_ten_apart_from_the_base() -> None:
    plan = devrun_plan.build({"ORDERING_REPLICAS": "3", "DEVRUN_PORT_BASE": "18000"})
    ports = {p.name: p.port for p in plan.apis}
    assert ports == {
        "identity-api": 18001,
        "catalog-api": 18002,
        "ordering-api-1": 18003,
        "ordering-api-2": 18013,
        "ordering-api-3": 18023,
        "billing-api": 18004,
        "notification-api": 18005,
    }
    assert plan.gateway.port == 18000


def test_every_worker_serves_metrics_on_its_own_port() -> None:
    plan = devrun_plan.build({"ORDERING_WORKER_REPLICAS": "2", "DEVRUN_PORT_BASE": "18000"})
    ports = {p.name: p.port for p in plan.workers}
    assert ports == {
        "identity-worker": 18006,
        "catalog-worker": 18007,
        "ordering-worker-1": 18008,
        "ordering-worker-2": 18018,
        "billing-worker": 18009,
        "notification-worker": 18010,
    }
    for worker in plan.workers:
        variable = devrun_plan.env_prefix(worker.app) + "WORKER_METRICS_PORT"
        assert worker.env == {variable: str(worker.port)}
    every_port = [p.port for p in plan.long_running]
    assert len(every_port) == len(set(every_port))


def test_gateway_and_services_reach_every_local_replica(app_environment: Any) -> None:
    plan = devrun_plan.build({"ORDERING_REPLICAS": "3", "CATALOG_WORKER_REPLICAS": "2"})
    app_environment(plan.env)
    gateway = importlib.import_module("gateway.config").Settings()
    upstreams = gateway.upstream_urls()
    assert upstreams["ordering"] == [f"http://127.0.0.1:{p}" for p in (8003, 8013, 8023)]
    assert upstreams["identity"] == ["http://127.0.0.1:8001"]
    assert [p.name for p in plan.workers].count("catalog-worker-2") == 1
    for app in SERVICES:
        settings = importlib.import_module(f"{app}.config").Settings()
        assert settings.jwks_url == "http://127.0.0.1:8001/internal/jwks"


def test_explicit_variables_win_over_local_mode_defaults(app_environment: Any) -> None:
    environ = {
        "DEVRUN_DB_PREFIX": "mine_",
        "DEVRUN_NAMESPACE": "mine",
        "ORDERING_DATABASE_URL": "postgresql+asyncpg://u@db.example:5432/orders",
    }
    plan = devrun_plan.build(environ)
    app_environment({**plan.env, **environ})
    ordering = importlib.import_module("ordering.config").Settings()
    billing = importlib.import_module("billing.config").Settings()
    assert ordering.database_url == environ["ORDERING_DATABASE_URL"]
    assert billing.database_url.endswith("@127.0.0.1:5432/mine_billing")
    assert (billing.event_exchange, billing.queue_prefix, billing.redis_namespace) == (
        "mine.events",
        "mine",
        "mine",
    )


def test_local_mode_runs_the_commands_compose_runs(deploy: Any) -> None:
    plan = devrun_plan.build({})
    procs = [*plan.migrations, *plan.apis, *plan.workers, plan.gateway, *plan.seeds]
    for proc in procs:
        compose_service = COMPOSE_NAME[proc.role].format(proc.app)
        assert ["python", *proc.argv[1:]] == deploy.command(compose_service)
    compose_apps = {s for s in deploy.services if "build" in deploy.services[s]}
    assert {COMPOSE_NAME[p.role].format(p.app) for p in procs} == compose_apps


def test_local_mode_sets_only_variables_the_apps_read() -> None:
    plan = devrun_plan.build({"ORDERING_REPLICAS": "2"}, smtp=("127.0.0.1", 1025))
    variables = {**plan.env}
    for proc in plan.apis:
        variables.update(proc.env)
    variables.pop("PYTHONUNBUFFERED")
    # Local mode's own declaration (R40), read by every app under this one name.
    assert variables.pop("BIZMALL_LOCAL_MODE") == "1"
    for app in (*devrun_plan.SERVICES, devrun_plan.GATEWAY):
        field = devrun_plan.settings_class(app).model_fields["local_mode"]
        assert field.validation_alias == "BIZMALL_LOCAL_MODE"
    for variable in variables:
        app, _, field = variable.partition("_")
        cls = devrun_plan.settings_class(app.lower())
        assert field.lower() in cls.model_fields, variable


def test_smtp_sink_keeps_each_message_as_a_maildir_file(tmp_path: Path) -> None:
    sink = MaildirSink(tmp_path / "mail", port=free_port())
    sink.start()
    try:
        message = EmailMessage()
        message["From"] = "noreply@bizmall.example"
        message["To"] = "member@example.co.jp"
        message["Subject"] = "ご注文を受け付けました"
        message.set_content("注文番号 ORD-1")
        with smtplib.SMTP(sink.host, sink.port) as client:
            client.send_message(message)
    finally:
        sink.stop()
    maildir = tmp_path / "mail"
    assert sorted(p.name for p in maildir.iterdir()) == ["cur", "new", "tmp"]
    files = list((maildir / "new").iterdir())
    assert len(files) == 1
    stored = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert stored["To"] == "member@example.co.jp"
    assert stored["Subject"] == "ご注文を受け付けました"
    body = stored.get_body()
    assert body is not None and "注文番号 ORD-1" in body.get_content()


# Children for the supervisor test: one starts a grandchild, one ignores SIGTERM.
_CHILD_WITH_GRANDCHILD = """
import os, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print("ready", os.getpid(), grandchild.pid, flush=True)
time.sleep(600)
"""
_CHILD_IGNORING_SIGTERM = """
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", os.getpid(), flush=True)
time.sleep(600)
"""
_DRIVER = """
import asyncio, sys
from devrun.plan import Proc
from devrun.supervisor import Supervisor, stop_signals

async def main():
    supervisor = Supervisor(grace_seconds=1.0)
    stopping = stop_signals()
    for number, code in enumerate(sys.argv[1:]):
        argv = (sys.executable, "-c", code)
        await supervisor.start(Proc(name=f"fake-{number}", app="fake", role="api", argv=argv))
    await stopping.wait()
    await supervisor.stop_all()

asyncio.run(main())
"""


async def test_supervisor_stops_every_child_and_grandchild_on_sigterm() -> None:
    driver = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        textwrap.dedent(_DRIVER),
        _CHILD_WITH_GRANDCHILD,
        _CHILD_IGNORING_SIGTERM,
        stdout=asyncio.subprocess.PIPE,
    )
    assert driver.stdout is not None
    pids: list[int] = []
    ready: set[str] = set()
    while len(ready) < 2:
        line = (await asyncio.wait_for(driver.stdout.readline(), 60)).decode()
        assert line, "the driver ended early"
        name, _, text = line.partition("|")
        words = text.split()
        if words and words[0] == "ready":
            ready.add(name.strip())
            pids += [int(w) for w in words[1:]]
    assert ready == {"fake-0", "fake-1"}
    assert len(pids) == 3 and all(alive(pid) for pid in pids)

    driver.send_signal(signal.SIGTERM)
    await asyncio.wait_for(driver.communicate(), 60)
    assert driver.returncode == 0
    assert [pid for pid in pids if alive(pid)] == []


@pytest.mark.integration
async def test_local_stack_comes_up_beside_another_and_stops_on_sigint(
    infra: Any, tmp_path: Path
) -> None:
    base = free_port_base_for()
    # Explicit variables win: the run's own databases, exchange and names; mail goes
    # to devrun's own Maildir sink on a free port.
    env = await stack_env(
        infra, base=base, var_dir=tmp_path, smtp=None, database_hint="devrun", demo_member=True
    )
    async with running_stack(env, tmp_path / "stack.log") as running:
        async with aiohttp.ClientSession() as session:
            for port in (base, *(base + n for n in range(1, 6))):
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    assert response.status == 200, (port, await response.text())
            for app in SERVICES:  # each service's readiness, asked through the gateway
                url = f"http://127.0.0.1:{base}/api/v1/health/{app}"
                async with session.get(url) as response:
                    assert response.status == 200, (app, await response.text())
            # The demo data was loaded on first start and is served through the gateway.
            async with session.get(f"http://127.0.0.1:{base}/api/v1/services") as response:
                assert response.status == 200
                lineup = await response.json()
            assert len(lineup["items"]) >= 8
            await _check_the_demo_members_records(session, f"http://127.0.0.1:{base}")
        assert len(running.pids) >= 11  # five APIs, five workers, the gateway
    # Leaving the block sent SIGINT: devrun ended cleanly and took every process along.
    assert running.process.returncode == 0, running.log.tail()
    assert [pid for pid in running.pids if alive(pid)] == []


async def _check_the_demo_members_records(session: aiohttp.ClientSession, gateway: str) -> None:
    """The README's demo member logs in and finds a real My Page (issue 18): orders in
    several states, active and ended contracts, issued and paid invoices, an answered
    inquiry — every record made by the services' own seeds through their handlers."""
    login = {"login_id": DEFAULT_DEMO_MEMBER_EMAIL, "password": DEFAULT_DEMO_MEMBER_PASSWORD}
    async with session.post(f"{gateway}/api/v1/auth/login", json=login) as response:
        assert response.status == 200, await response.text()
        headers = {"Authorization": f"Bearer {(await response.json())['access_token']}"}

    async def items(path: str) -> list[dict[str, Any]]:
        async with session.get(f"{gateway}{path}?limit=100", headers=headers) as response:
            assert response.status == 200, (path, await response.text())
            return list((await response.json())["items"])

    orders = await items("/api/v1/orders")
    assert len(orders) == 5
    assert {"received", "on_hold", "active"} <= {o["status"] for o in orders}, orders
    contracts = await items("/api/v1/contracts")
    assert len(contracts) == 3
    assert sum(1 for c in contracts if c.get("end_date")) == 1, contracts
    invoices = await items("/api/v1/invoices")
    assert len(invoices) >= 3, invoices
    assert sum(1 for i in invoices if i["status"] == "paid") == 1, invoices
    inquiries = await items("/api/v1/inquiries")
    assert [i["status"] for i in inquiries] == ["answered"]
