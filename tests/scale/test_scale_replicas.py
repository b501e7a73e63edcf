"""Replicas share the work correctly (issue 10): a burst of orders through the gateway
against three ordering, two billing and two notification replicas (API and worker
processes each); while ops activate the orders, billing runs on both billing APIs at
once, again and again, and both billing workers run the scheduled billing job.

Checked: the gateway spread the orders over every ordering API; every event was
published once and handled exactly once by each consumer (inbox, logs, no dead
letters); each order got one confirmation (R16), one acceptance and one activation
notice (R18); each member, service and month got one invoice (R22, R23) and one
invoice email, however many runs raced for it.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from datetime import date
from email.message import EmailMessage
from typing import Any, cast

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bizmall_testkit.data import month_before, today_in_japan
from devrun import plan as devrun_plan
from jpcalendar import first_business_day_on_or_after
from servicekit.testing.helpers import eventually

pytestmark = pytest.mark.integration

#: Members placing orders; each orders every selected service once (one contract per
#: member and service, so each month's invoice of a service has one contract).
MEMBERS = 15
#: How long asynchronous work may take on a busy 2-core machine (events, emails).
SETTLE_TIMEOUT = 150.0

SUBJECTS = {
    "verification": "【bizmall】メールアドレスの確認",
    "confirmation": "【bizmall】ご注文を受け付けました",
    "accepted": "【bizmall】ご注文を承りました",
    "activation": "【bizmall】開通のお知らせ",
    "invoice": "【bizmall】ご請求書発行のお知らせ",
}
_ORDER_NUMBER = re.compile(r"ご注文番号：(\S+)")


# -- the plan: one knob scales a service's APIs and workers ---------------------------


def test_one_replica_count_scales_api_and_worker_processes() -> None:
    plan = devrun_plan.build({"ORDERING_REPLICAS": "3", "BILLING_WORKER_REPLICAS": "2"})
    apis = Counter(p.app for p in plan.apis)
    workers = Counter(p.app for p in plan.workers)
    assert (apis["ordering"], workers["ordering"]) == (3, 3)
    assert [p.name for p in plan.workers if p.app == "ordering"] == [
        "ordering-worker-1",
        "ordering-worker-2",
        "ordering-worker-3",
    ]
    # The worker count can be set on its own; migrations and seeds still run once.
    assert (apis["billing"], workers["billing"]) == (1, 2)
    assert [p.name for p in plan.migrations if p.app == "ordering"] == ["ordering-migrate"]
    assert [p.name for p in plan.seeds if p.app == "ordering"] == ["ordering-seed"]
    with pytest.raises(ValueError, match="ORDERING_REPLICAS must be at least 1"):
        devrun_plan.build({"ORDERING_REPLICAS": "0"})
    with pytest.raises(ValueError, match="NOTIFICATION_WORKER_REPLICAS must be a whole number"):
        devrun_plan.build({"NOTIFICATION_WORKER_REPLICAS": "two"})


# -- helpers --------------------------------------------------------------------------


def simple_value(spec: dict[str, Any]) -> Any:
    """A valid value of one order field, or None when no simple one fits."""
    if "enum" in spec:
        return spec["enum"][0]
    if spec["type"] == "integer":
        return spec.get("minimum", 1)
    if spec["type"] == "boolean":
        return True
    if spec["type"] == "string":
        for candidate in ("scale-test.example.jp", "scale"):
            fits = len(candidate) in range(spec.get("minLength", 0), spec.get("maxLength", 999))
            if fits and re.fullmatch(spec.get("pattern", ".*"), candidate):
                return candidate
    return None


def order_options(order_fields: dict[str, Any]) -> dict[str, Any] | None:
    options = {}
    for name in order_fields.get("required", []):
        value = simple_value(order_fields["properties"][name])
        if value is None:
            return None
        options[name] = value
    return options


async def json_of(response: aiohttp.ClientResponse) -> Any:
    return await response.json(content_type=None)


async def on_activation_services(stack: Any) -> list[dict[str, Any]]:
    """Published services that send the activation notice on activation and take simple
    order options (the others' notices fall due days before the start, past this test)."""
    chosen = []
    for service in await stack.lineup():
        notice = service.get("activation_notice") or {}
        options = order_options(service["order_fields"])
        if notice.get("kind") == "on_activation" and options is not None:
            chosen.append(service)
    return chosen


class Orders:
    """Places orders through the gateway and counts every POST /orders it sends."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.posts = 0
        self._earliest: dict[str, str] = {}

    async def earliest(self, service: dict[str, Any]) -> str:
        if service["id"] not in self._earliest:
            path = f"/api/v1/services/{service['id']}/start-dates"
            async with self.stack.http.get(path) as response:
                assert response.status == 200, await response.text()
                self._earliest[service["id"]] = (await response.json())["earliest"]
        return self._earliest[service["id"]]

    async def place(self, member: Any, service: dict[str, Any]) -> dict[str, Any]:
        body = {
            "service_id": service["id"],
            "plan_id": service["plans"][0]["plan_id"],
            "quantity": service["order_unit"],
            "desired_start_date": await self.earliest(service),
            "options": order_options(service["order_fields"]),
        }
        headers = {**member.headers, "Idempotency-Key": str(uuid.uuid4())}

        async def attempt() -> dict[str, Any] | None:
            self.posts += 1
            async with self.stack.http.post("/api/v1/orders", json=body, headers=headers) as r:
                answer: dict[str, Any] = await json_of(r)
            # Until catalog's events reached ordering the service is unknown there.
            if [e.get("code") for e in answer.get("errors", [])] == ["order.service_unavailable"]:
                return None
            assert r.status == 201, answer
            return answer

        placed: dict[str, Any] = await eventually(attempt, timeout=60)
        return placed


async def activate(stack: Any, order_id: str, start: date, limit: asyncio.Semaphore) -> None:
    """Ops accept, provision and activate the order with ``start`` as its start date."""
    async with limit:
        await stack.activate(order_id, start)


async def run_billing_on(
    http: aiohttp.ClientSession, port: int, ops: dict[str, str], month: str
) -> dict[str, Any]:
    """``POST /api/v1/ops/billing/runs`` on one billing API replica directly (202, R39),
    then ``GET`` the run there until a billing worker has finished it."""
    url = f"http://127.0.0.1:{port}/api/v1/ops/billing/runs"
    async with http.post(url, json={"month": month}, headers=ops) as response:
        queued: dict[str, Any] = await response.json()
        assert response.status == 202, queued

    async def finished() -> dict[str, Any] | None:
        async with http.get(f"{url}/{queued['id']}", headers=ops) as response:
            run: dict[str, Any] = await response.json()
            assert response.status == 200, run
        return run if run["status"] in ("done", "failed") else None

    answer: dict[str, Any] = await eventually(finished, timeout=SETTLE_TIMEOUT)
    assert answer["status"] == "done", answer
    return answer


class Phases:
    """Seconds each phase of the test took (reported, never asserted)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = round(now - self._last, 1)
        self._last = now


async def posted_orders(http: aiohttp.ClientSession, port: int) -> int:
    """``POST /api/v1/orders`` answered by the API on ``port``, by its ``/metrics``."""
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200, await response.text()
        text = await response.text()
    return round(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "bizmall_http_requests_total"
            and sample.labels.get("method") == "POST"
            and sample.labels.get("route") == "/api/v1/orders"
        )
    )


def kind_of(message: EmailMessage) -> str | None:
    subject = str(message["Subject"])
    return next((kind for kind, prefix in SUBJECTS.items() if subject.startswith(prefix)), None)


# -- the test -------------------------------------------------------------------------


async def test_replicas_share_a_burst_of_orders_and_billing_runs_exactly_once(
    scaled: Any,
) -> None:
    stack = scaled.stack
    clock = Phases()
    services = await on_activation_services(stack)
    assert len(services) >= 3, [s["slug"] for s in services]

    # A burst: every member orders every service, all at once, through the gateway.
    members = await asyncio.gather(*(stack.register_and_login() for _ in range(MEMBERS)))
    clock.mark("register")
    orders = Orders(stack)
    placed = await asyncio.gather(*(orders.place(m, s) for m in members for s in services))
    order_ids = [order["id"] for order in placed]
    assert len(set(order_ids)) == MEMBERS * len(services)
    clock.mark("order")

    # Ops activate every order with a start two months back, so two ended months bill.
    today = today_in_japan()
    last_month = month_before(today)
    first_month = month_before(last_month)
    start = first_business_day_on_or_after(first_month)
    ops = await stack.ops_headers()
    limit = asyncio.Semaphore(12)
    activations = asyncio.ensure_future(
        asyncio.gather(*(activate(stack, i, start, limit) for i in order_ids))
    )
    member_ids = {m.id for m in members}

    async def billing_knows_everything() -> bool:
        contracts = await scaled.query("ordering", "SELECT id FROM contracts")
        known = await scaled.query("billing", "SELECT contract_id FROM billing_subscription")
        accounts = await scaled.query("billing", "SELECT member_id FROM billing_account")
        return (
            len(contracts) == len(order_ids)
            and {r["contract_id"] for r in known} == {r["id"] for r in contracts}
            and member_ids <= {str(r["member_id"]) for r in accounts}
        )

    # While ops activate the orders and the contracts reach billing, ops also start both
    # months' runs on both billing APIs at once, round after round, and both billing
    # workers tick the scheduled run: three kinds of run race for every invoice. A last
    # round follows once billing knows every contract and account.
    months = [f"{first_month:%Y-%m}", f"{last_month:%Y-%m}"]
    billing_ports = scaled.api_ports("billing")
    assert len(billing_ports) == 2
    runs: list[dict[str, Any]] = []
    deadline = time.monotonic() + SETTLE_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as direct:
        while True:
            if activations.done():
                await activations  # an activation that failed fails the test here
            complete = activations.done() and await billing_knows_everything()
            last_round = await asyncio.gather(
                *(
                    run_billing_on(direct, port, ops, month)
                    for port in billing_ports.values()
                    for month in months
                )
            )
            runs += last_round
            if complete:
                break
            assert time.monotonic() < deadline, "billing did not learn of every contract"
    contracts = await scaled.query("ordering", "SELECT id, member_id, service_id FROM contracts")
    clock.mark("activate and bill")
    by_ops = sum(run["invoices_issued"] for run in runs)
    assert all(run["contracts_waiting_for_account"] == 0 for run in last_round), last_round

    # Exactly one invoice per member, service and month: R23 bills a free first month
    # nothing, so the first month has invoices of the charged services only.
    free = {s["id"] for s in services if s["free_first_month"]}
    expected_groups = {
        (str(c["member_id"]), str(c["service_id"]), usage)
        for c in contracts
        for usage in (first_month, last_month)
        if usage == last_month or str(c["service_id"]) not in free
    }
    invoices = await scaled.query(
        "billing",
        "SELECT id, member_id, service_id, usage_month, invoice_number FROM invoice "
        "WHERE corrects_invoice_id IS NULL",
    )
    groups = Counter(
        (str(i["member_id"]), str(i["service_id"]), i["usage_month"]) for i in invoices
    )
    assert set(groups) == expected_groups
    invoice_duplicates = sum(n - 1 for n in groups.values())
    assert invoice_duplicates == 0, [g for g, n in groups.items() if n > 1]
    # Each contract is billed by one invoice a month.
    lines = await scaled.query(
        "billing",
        "SELECT l.contract_id, i.usage_month, count(DISTINCT i.id) AS invoices "
        "FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
        "GROUP BY l.contract_id, i.usage_month",
    )
    assert lines and all(line["invoices"] == 1 for line in lines)

    # Every invoice was issued by one run: every run — ops' and the scheduled catch-up's —
    # executes in a billing worker (R39), and the workers' log adds up to the invoices
    # there are; ops' runs issued some of them.
    def scheduled_issued() -> dict[str, int]:
        issued: Counter[str] = Counter()
        for line in scaled.log():
            if line.event == "billing run done" and line.process.startswith("billing-worker"):
                issued[line.process] += int(line.record.get("invoices", 0))
        return dict(issued)

    async def runs_add_up() -> bool:
        return sum(scheduled_issued().values()) == len(invoices) >= by_ops

    await eventually(runs_add_up, timeout=30)
    by_schedule = scheduled_issued()

    # Mail: wait until every delivery is sent, then count what arrived.
    expected_mail = {
        "verification": MEMBERS,
        "confirmation": len(order_ids),
        "accepted": len(order_ids),
        "activation": len(order_ids),
        "invoice": len(invoices),
    }

    async def mail_settled() -> bool:
        pending = await scaled.query(
            "notification", "SELECT count(*) AS n FROM delivery WHERE state <> 'sent'"
        )
        kinds = Counter(kind_of(m) for m in list(scaled.smtp.messages))
        return pending[0]["n"] == 0 and all(kinds[k] >= n for k, n in expected_mail.items())

    await eventually(mail_settled, timeout=SETTLE_TIMEOUT)
    clock.mark("mail")
    messages = list(scaled.smtp.messages)
    per_key: Counter[tuple[str, str]] = Counter()
    numbers = {i["invoice_number"] for i in invoices}
    for message in messages:
        kind = kind_of(message)
        if kind in ("confirmation", "accepted", "activation"):
            found = _ORDER_NUMBER.search(stack.text_of(message))
            assert found, message["Subject"]
            per_key[(kind, found.group(1))] += 1
        elif kind == "invoice":
            text = stack.text_of(message)
            (number,) = [n for n in numbers if n in text]
            per_key[(kind, number)] += 1
        elif kind == "verification":
            per_key[(kind, str(message["To"]))] += 1
    for kind in ("confirmation", "accepted", "activation"):
        assert {key for k, key in per_key if k == kind} == set(order_ids), kind
    assert {key for k, key in per_key if k == "invoice"} == numbers
    mail_duplicates = sum(n - 1 for n in per_key.values())
    assert mail_duplicates == 0, [key for key, n in per_key.items() if n > 1]
    message_ids = Counter(str(m["Message-ID"]) for m in messages)
    assert max(message_ids.values()) == 1

    # Events: every outbox row published, and each consumer's inbox holds each event it
    # subscribes to exactly once (its primary key), nothing it does not.
    subscribed = {app: _subscribed_types(app) for app in devrun_plan.SERVICES}
    outboxes = {
        app: await scaled.query(app, "SELECT id, type, published_at FROM outbox")
        for app in devrun_plan.SERVICES
    }

    async def events_settled() -> bool:
        nonlocal outboxes
        outboxes = {
            app: await scaled.query(app, "SELECT id, type, published_at FROM outbox")
            for app in devrun_plan.SERVICES
        }
        if any(r["published_at"] is None for rows in outboxes.values() for r in rows):
            return False
        for app, types in subscribed.items():
            expected = {r["id"] for rows in outboxes.values() for r in rows if r["type"] in types}
            inbox = await scaled.query(app, "SELECT event_id FROM inbox")
            if {r["event_id"] for r in inbox} != expected:
                return False
        return True

    await eventually(events_settled, timeout=SETTLE_TIMEOUT)
    clock.mark("events")
    published = sum(len(rows) for rows in outboxes.values())
    for app in devrun_plan.SERVICES:
        rows = await scaled.query(
            app, "SELECT consumer, event_id, count(*) AS n FROM inbox GROUP BY 1, 2"
        )
        assert all(r["n"] == 1 and r["consumer"] == app for r in rows), app
        dead = await scaled.query(app, "SELECT count(*) AS n FROM dead_letter")
        assert dead[0]["n"] == 0, f"{app} has dead letters"

    # The consumers' own account: each handled each event once, and never met a duplicate
    # (a row published twice would arrive twice and be skipped by the inbox).
    consumed = sum(
        1
        for app, types in subscribed.items()
        for rows in outboxes.values()
        for r in rows
        if r["type"] in types
    )

    def handled_per_event() -> Counter[tuple[str, str]]:
        return Counter(
            (str(line.record.get("service")), str(line.record.get("event_id")))
            for line in scaled.log()
            if line.event == "event handled"
        )

    async def all_handled_logged() -> bool:
        return len(handled_per_event()) == consumed

    await eventually(all_handled_logged, timeout=30)
    handled = handled_per_event()
    assert max(handled.values()) == 1, [key for key, n in handled.items() if n > 1]
    skipped = sum(scaled.count_lines("event skipped (duplicate)").values())
    assert skipped == 0

    # Spread: every ordering API served part of the burst, and the gateway passed each
    # POST it got to exactly one of them.
    order_posts = scaled.count_lines("request", method="POST", path="/api/v1/orders")
    per_api = {name: order_posts[name] for name in sorted(scaled.api_ports("ordering"))}
    assert all(n > 0 for n in per_api.values()), per_api
    assert order_posts["gateway-api"] == orders.posts
    assert sum(per_api.values()) == orders.posts
    # Each replica's own counter (its /metrics) says the same.
    async with aiohttp.ClientSession() as direct:
        counted = {
            name: await posted_orders(direct, port)
            for name, port in sorted(scaled.api_ports("ordering").items())
        }
    assert counted == per_api
    # Competing consumers: the broker hands each queue's messages to every worker that
    # consumes it, so both notification and both billing workers handled events.
    handled_by = scaled.count_lines("event handled")
    workers = {
        app: {name: handled_by[name] for name in scaled.worker_names(app)}
        for app in ("ordering", "billing", "notification")
    }
    for app in ("billing", "notification"):
        assert all(n > 0 for n in workers[app].values()), workers
    sent_by = scaled.count_lines("email sent")
    connections = await scaled.query(
        "ordering",
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = ANY($1::text[])",
        [scaled.database_dsn(app).rsplit("/", 1)[1] for app in devrun_plan.SERVICES],
    )

    print(
        f"\nscale figures: orders={len(order_ids)} members={MEMBERS} "
        f"order POSTs per ordering API={per_api} "
        f"events published={published} handled={sum(handled.values())} "
        f"handled per worker={workers} duplicates skipped={skipped} "
        f"emails={len(messages)} sent per notification worker="
        f"{ {n: sent_by[n] for n in scaled.worker_names('notification')} } "
        f"invoices={len(invoices)} issued by ops runs={by_ops} ({len(runs)} runs on "
        f"{sorted(billing_ports)}) by scheduled runs={by_schedule} "
        f"duplicate invoices={invoice_duplicates} duplicate emails={mail_duplicates} "
        f"db connections now={connections[0]['n']} seconds per phase={clock.seconds}"
    )


def _subscribed_types(app: str) -> set[str]:
    """The event types ``app`` consumes (its subscriptions, as its worker binds them)."""
    import importlib

    module = importlib.import_module(f"{app}.entrypoints.subscriptions")
    # The handlers close over the runtime; only the contracts are read here.
    contracts = module.subscriptions(cast(Any, None))
    return {contract.TYPE for contract in contracts}
