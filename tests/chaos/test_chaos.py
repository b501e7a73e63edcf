"""Fault injection (issue 9): a burst of real traffic while something breaks, then the
books (see ``conftest.ChaosStack.check_books``). Every fault hits the suite's private
servers and processes only.

R16: an accepted order is placed and confirmed by exactly one email. R22/R23: one
invoice per service and month, issued once however often the run is started.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from jpcalendar import first_business_day_on_or_after, to_jst
from servicekit.testing.helpers import eventually

pytestmark = pytest.mark.integration

#: "The SMTP server down for a minute."
SMTP_DOWN_SECONDS = 60.0
BURST = 40


def _month_before(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


async def test_r16_the_same_order_sent_20_times_at_once_with_one_idempotency_key(
    stack: Any,
) -> None:
    (member,) = await stack.members(1)
    burst = stack.new_burst()
    key = str(uuid.uuid4())
    await asyncio.gather(*(stack.place(burst, member, 0, key=key) for _ in range(20)))
    assert burst.sent == 20
    # One order: the first answer 201 (created), every other one 200 naming it.
    assert burst.statuses[201] == 1, burst.statuses
    assert burst.statuses[200] == 19, (burst.statuses, burst.refusals)
    assert len(burst.accepted) == 1
    await stack.check_books("idempotency x20", burst)


async def test_r16_smtp_down_for_a_minute_mail_is_late_none_lost_none_twice(
    stack: Any,
) -> None:
    members = await stack.members(4)
    stack.smtp.stop()
    loop = asyncio.get_running_loop()
    down_since = loop.time()
    try:
        burst = await stack.burst(members, BURST)
        assert burst.statuses[201] == BURST, (burst.statuses, burst.refusals)
        await asyncio.sleep(max(0.0, SMTP_DOWN_SECONDS - (loop.time() - down_since)))
        # The sender tried and keeps the emails pending for their next attempt.
        rows = await stack.query(
            "notification",
            "SELECT state, attempts FROM delivery WHERE template = 'order_confirmation'"
            " AND state <> 'sent'",
        )
        assert len(rows) >= BURST, rows
        assert all(r["state"] == "pending" for r in rows), rows
        assert any(r["attempts"] >= 2 for r in rows), rows
    finally:
        stack.smtp.start()
    await stack.check_books("smtp down 60s", burst)


async def test_r16_a_consumer_killed_with_sigkill_mid_batch_then_restarted(stack: Any) -> None:
    members = await stack.members(4)
    before = len(stack.smtp.messages)
    sending = asyncio.ensure_future(stack.burst(members, BURST))

    async def confirmations_started() -> int:
        while True:
            subjects = [str(m["Subject"]) for m in stack.smtp.messages[before:]]
            mailed = sum(1 for subject in subjects if "ご注文を受け付けました" in subject)
            if mailed:
                return mailed
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(confirmations_started(), 120)
        await stack.kill("notification-worker")
        burst = await sending
        mailed_at_kill = sum(1 for o in stack.confirmations(burst.accepted).values() if o)
        await asyncio.sleep(2)
    finally:
        if not stack.running("notification-worker"):
            await stack.start("notification-worker")
    assert burst.statuses[201] == BURST, (burst.statuses, burst.refusals)
    assert mailed_at_kill < BURST, "the consumer was killed after the batch, not during it"
    scenario = f"consumer SIGKILL (mailed before the kill: {mailed_at_kill})"
    books = await stack.check_books(scenario, burst, max_resent=stack.smtp_connections)
    assert books.emails == BURST


async def test_rabbitmq_stopped_and_started_during_a_burst_of_orders(stack: Any) -> None:
    members = await stack.members(4)
    pids = stack.pids()
    sending = asyncio.ensure_future(stack.burst(members, BURST, spread=0.25))
    await asyncio.sleep(2)
    await stack.servers.rabbit.stop_app()
    await asyncio.sleep(5)
    # Issue 19 item 14: an API's readiness does not hang on the broker, so a Service
    # keeps every API pod while RabbitMQ is away (the outbox holds the events).
    readiness = await stack.api_readiness()
    await asyncio.sleep(5)
    await stack.servers.rabbit.start_app()
    burst = await sending
    assert set(readiness.values()) == {200}, readiness
    # Orders go to the outbox with the order: the broker's absence refuses none.
    assert burst.statuses[201] == BURST, (burst.statuses, burst.refusals)
    await stack.check_books("rabbitmq stop_app/start_app", burst)
    assert stack.pids() == pids, "a process was restarted to recover"


async def test_item15_events_published_before_the_consumer_queue_exists_arrive_once_it_starts(
    stack: Any,
) -> None:
    """Issue 19 item 15: as on a first install, ordering publishes while notification's
    queue does not exist yet; the broker returns the events, the outbox keeps them, and
    once notification's worker starts (declaring its queue) every confirmation is mailed,
    once."""
    members = await stack.members(2)
    await stack.kill("notification-worker")
    queues = await stack.servers.rabbit.ctl("list_queues", "-q", "--no-table-headers", "name")
    own = [q for q in queues.split() if q.startswith(f"{stack.queue_prefix}.notification")]
    assert own, queues
    for queue in own:
        await stack.servers.rabbit.ctl("delete_queue", queue)
    burst = await stack.burst(members, 8)
    assert burst.statuses[201] == 8, (burst.statuses, burst.refusals)
    # With nowhere to go, the confirmations wait in ordering's outbox.
    await asyncio.sleep(3)
    waiting = await stack.query(
        "ordering",
        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND type = 'ordering.order.placed'",
    )
    assert waiting[0][0] >= 1
    await stack.start("notification-worker")
    await stack.check_books("first publish before the consumer's queue", burst)


async def test_postgresql_restarted_during_a_burst_services_not_ready_then_recover(
    stack: Any,
) -> None:
    members = await stack.members(4)
    pids = stack.pids()
    apis = [p.ready_url for p in stack.plan.apis]
    sending = asyncio.ensure_future(stack.burst(members, BURST, spread=0.25))
    await asyncio.sleep(2)
    await asyncio.to_thread(stack.servers.postgres.stop, "fast")
    seen: dict[str, set[int]] = {url: set() for url in apis}
    try:
        for _ in range(8):
            states = await stack.readiness()
            for url in apis:
                seen[url].add(states[url])
            await asyncio.sleep(1)
    finally:
        await asyncio.to_thread(stack.servers.postgres.start)
    burst = await sending
    # While PostgreSQL was down every service said so on /readyz (and still answered).
    assert all(503 in statuses for statuses in seen.values()), seen
    # Orders sent meanwhile were refused with 503 problem+json, never a 500.
    assert burst.statuses[201] > 0
    assert set(burst.statuses) <= {201, 503}, (burst.statuses, burst.refusals)
    scenario = f"postgresql restart (refused 503: {burst.statuses[503]})"
    await stack.check_books(scenario, burst, max_resent=stack.smtp_connections)
    assert stack.pids() == pids, "a process was restarted to recover"


async def test_redis_down_reads_on_logins_refused_never_open(stack: Any) -> None:
    members = await stack.members(3)
    pids = stack.pids()
    identity_api = next(p for p in stack.plan.apis if p.app == "identity")
    login = {"login_id": members[0].email, "password": "chaos-member-password-2024"}
    await stack.servers.redis.stop()
    try:
        # Reads go on: the catalog from its database, members' own data.
        for _ in range(3):
            status, page = await stack.call("GET", "/api/v1/services?limit=100")
            assert status == 200, page
            assert page["items"]
            for item in page["items"]:
                status, detail = await stack.call("GET", f"/api/v1/services/{item['id']}")
                assert status == 200, detail
        status, orders = await stack.call("GET", "/api/v1/orders", headers=members[0].headers)
        assert status == 200, orders
        # Logins and registrations fail closed: 503 problem+json, never a session.
        for body in (login, {**login, "password": "wrong-password-000"}):
            for _ in range(3):
                status, answer = await stack.call("POST", "/api/v1/auth/login", json=body)
                assert status == 503, answer
                assert answer["status"] == 503
        # Behind the gateway too: identity itself refuses what it cannot throttle.
        async with aiohttp.ClientSession() as direct:
            async with direct.post(
                f"http://127.0.0.1:{identity_api.port}/api/v1/auth/login", json=login
            ) as response:
                assert response.status == 503, await response.text()
        # Other writes go on (their limits fail open): the burst of orders.
        burst = await stack.burst(members, 30)
        assert burst.statuses[201] == 30, (burst.statuses, burst.refusals)
        # Readiness names the missing Redis but stays 200 ("degraded"): an orchestrator
        # must not take every replica out of service for the reads that still work.
        states = await stack.readiness()
        assert set(states.values()) == {200}, states
        async with aiohttp.ClientSession() as direct:
            for url in (identity_api.ready_url, stack.url("/readyz")):
                async with direct.get(url) as response:
                    body = await response.json()
                assert body["status"] == "degraded", (url, body)
                assert body["checks"]["redis"].startswith("error"), (url, body)
    finally:
        await stack.servers.redis.start()
    await stack.wait_ready()
    # Back at once, for every caller: registrations and logins side by side (each on
    # whatever pooled Redis connection the gateway and identity hand it).
    status, answer = await stack.call("POST", "/api/v1/auth/login", json=login)
    assert status == 200, answer
    assert len(await stack.members(4)) == 4
    await stack.check_books("redis down", burst)
    assert stack.pids() == pids, "a process was restarted to recover"


async def test_r22_r23_two_billing_runs_at_once_and_a_run_killed_halfway(stack: Any) -> None:
    members = await stack.members(8)
    services = await stack.services()
    burst = stack.new_burst()
    await asyncio.gather(*(stack.place(burst, m, s) for m in members for s in range(len(services))))
    groups = len(members) * len(services)
    assert burst.statuses[201] == groups, (burst.statuses, burst.refusals)
    today = to_jst(datetime.now(UTC)).date()
    last_month = _month_before(today.replace(day=1))
    earlier = _month_before(last_month)
    start = first_business_day_on_or_after(earlier)
    contracts = await stack.activate(burst.accepted, start)
    await stack.billing_knows(contracts.values(), [m.id for m in members])
    ids = [uuid.UUID(c) for c in contracts.values()]
    count_sql = (
        "SELECT count(DISTINCT i.id) FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id"
        " WHERE l.contract_id = ANY($1::uuid[]) AND i.usage_month = $2"
    )

    # A run of the earlier month killed halfway (R39: runs execute in the billing worker):
    # once its first invoices committed, the invoice table is locked so the run stops
    # mid-batch, and the worker is killed. Restarted, the worker resumes the run it left
    # running where its committed batches end.
    conn = await asyncpg.connect(stack.dsn("billing"))
    try:
        started = await stack.start_billing_run(f"{earlier:%Y-%m}")
        while await conn.fetchval(count_sql, ids, earlier) == 0:
            run = await stack.billing_run(started["id"])
            assert run["status"] in ("queued", "running"), "the run ended before it was seen"
            await asyncio.sleep(0.01)
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE invoice IN EXCLUSIVE MODE")
        halfway = await conn.fetchval(count_sql, ids, earlier)
        await stack.kill("billing-worker")
        await transaction.rollback()
    finally:
        await conn.close()
        if not stack.running("billing-worker"):
            await stack.start("billing-worker")
    assert 0 < halfway < groups, (halfway, groups)

    async def resumed() -> dict[str, Any] | None:
        run = await stack.billing_run(started["id"])
        return run if run["status"] == "done" else None

    finished = await eventually(resumed, timeout=300)
    assert finished["attempts"] == 2, finished
    assert finished["invoices_issued"] == groups, (finished, halfway, groups)
    again = await stack.run_billing(f"{earlier:%Y-%m}")
    assert again["invoices_issued"] == 0, again

    # Two runs of last month at once: the worker executes them one after the other (the
    # restarted worker's catch-up may have queued one first); no group is billed twice —
    # the books below count exactly one invoice per contract and month.
    first, second = await asyncio.gather(
        stack.run_billing(f"{last_month:%Y-%m}"), stack.run_billing(f"{last_month:%Y-%m}")
    )
    assert first["invoices_issued"] + second["invoices_issued"] <= groups, (first, second)

    books = await stack.check_books(
        f"billing runs (killed after {halfway} of {groups}, concurrent split "
        f"{first['invoices_issued']}+{second['invoices_issued']})",
        burst,
        start=start,
        months=[earlier, last_month],
        contracts=contracts,
    )
    assert books.invoices == 2 * groups
