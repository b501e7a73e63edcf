"""Order placement through the gateway and mail latency (issues 6 and 9).

1. The database write ceiling (``ceilings.py``: a bare endpoint inserting one
   row per request) at 32 concurrent clients, the same load loop, right before:
2. 32 concurrent members (each its own verified member and token) place orders
   back to back for ``BENCH_SECONDS``: orders/s and p50/p99 of ``POST /orders``.
   Target: at least 25% of the write ceiling's requests/s.
3. After their confirmation mails have drained, orders at a fixed offered rate
   of half the measured maximum (open loop) for ``BENCH_SECONDS``: p99 < 300 ms.
4. Orders at a steady ``BENCH_ORDER_RATE`` (20) per second for
   ``BENCH_STEADY_SECONDS`` (60); for each, the time from its 201 to its
   confirmation email arriving in the SMTP sink (matched by the order id in
   the mail): p50 < 100 ms, p99 < 500 ms.

The service is a seeded one open to corporations (``BENCH_ORDER_SERVICE``,
default ``data-backup``), its first plan, the order unit as quantity, a start
date a few business days after the earliest (so the 13:00 cut-off passing
mid-run cannot invalidate it), and the required order fields filled from its
JSON Schema.

    uv run python -m bench.bench_ordering
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import aiohttp

from bench.ceilings import Ceilings, ceilings_beside, write_body
from bench.load import LoadResult, closed_loop, open_loop, percentile
from bench.mailsink import Arrival, MailSink
from bench.members import Member, log_in, verified_members
from bench.report import save, table
from bench.stack import Stack, local_stack

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
RATE = float(os.environ.get("BENCH_ORDER_RATE", "20"))
STEADY_SECONDS = float(os.environ.get("BENCH_STEADY_SECONDS", "60"))
SERVICE_SLUG = os.environ.get("BENCH_ORDER_SERVICE", "data-backup")
MAIL_TIMEOUT = float(os.environ.get("BENCH_MAIL_TIMEOUT", "180"))
TARGET_RATIO = 0.25
TARGET_P99_AT_HALF_MS = 300.0
TARGET_MAIL_P50_MS = 100.0
TARGET_MAIL_P99_MS = 500.0


def sample_options(schema: dict[str, Any]) -> dict[str, Any]:
    """Values for the required fields of an order-field schema (the catalog's subset)."""
    options: dict[str, Any] = {}
    for name in schema.get("required", []):
        spec = schema["properties"][name]
        if "enum" in spec:
            options[name] = spec["enum"][0]
        elif spec.get("type") == "integer":
            options[name] = spec.get("minimum", 1)
        elif spec.get("type") == "boolean":
            options[name] = False
        elif spec.get("format") == "date":
            options[name] = "2030-04-01"
        elif "pattern" not in spec:
            options[name] = "b" * max(spec.get("minLength", 1), 5)
        else:
            raise ValueError(f"cannot make a value for {name}: choose another service")
    return options


async def order_body(gateway: str) -> dict[str, Any]:
    """A valid ``POST /orders`` body for the chosen seeded service."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{gateway}/api/v1/services?limit=100") as response:
            lineup = (await response.json())["items"]
        service_id = next(s["id"] for s in lineup if s["slug"] == SERVICE_SLUG)
        async with session.get(f"{gateway}/api/v1/services/{service_id}") as response:
            service = await response.json()
        async with session.get(f"{gateway}/api/v1/services/{service_id}/start-dates") as response:
            dates = (await response.json())["dates"]
    return {
        "service_id": service_id,
        "plan_id": service["plans"][0]["plan_id"],
        "quantity": service["order_unit"],
        "desired_start_date": dates[min(5, len(dates) - 1)],
        "options": sample_options(service["order_fields"]),
    }


async def first_order(gateway: str, member: Member, body: dict[str, Any]) -> None:
    """Place one order, retrying while ordering's copy of the catalog is still arriving."""
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.post(
                f"{gateway}/api/v1/orders", json=body, headers=member.headers
            ) as response:
                if response.status == 201:
                    return
                text = await response.text()
            if time.monotonic() > deadline:
                raise RuntimeError(f"no order accepted: {response.status} {text}")
            await asyncio.sleep(1)


async def wait_for_orders(mail: MailSink, order_ids: set[str], timeout: float) -> dict[str, float]:
    """Arrival time of the mail naming each order id (those that came within ``timeout``)."""

    def arrived(arrivals: list[Arrival]) -> dict[str, float]:
        found: dict[str, float] = {}
        for arrival in arrivals:
            for uuid in arrival.uuids & order_ids:
                found.setdefault(uuid, arrival.at)
        return found

    try:
        await mail.wait_until(
            lambda arrivals: [True] if len(arrived(arrivals)) == len(order_ids) else [], timeout
        )
    except TimeoutError:
        pass
    return arrived(mail.snapshot())


def placer(
    gateway: str, members: list[Member], body: dict[str, Any], placed: dict[str, float]
) -> Any:
    """A load request placing one order as member ``n``; ``placed`` gets id → 201 time."""
    url = f"{gateway}/api/v1/orders"

    async def place(session: aiohttp.ClientSession, number: int) -> int:
        async with session.post(url, json=body, headers=members[number].headers) as response:
            answered = time.perf_counter()
            answer = await response.json(content_type=None)
            if response.status == 201:
                placed[str(answer["id"])] = answered
            return response.status

    return place


def write_ceiling_request(url: str) -> Any:
    """A load request inserting one row through the database write ceiling."""

    async def insert(session: aiohttp.ClientSession, number: int) -> int:
        headers = {"Content-Type": "application/json"}
        async with session.post(url, data=write_body(number), headers=headers) as response:
            await response.read()
            return response.status

    return insert


async def prepare(stack: Stack) -> tuple[list[Member], dict[str, Any]]:
    """:data:`MEMBERS` verified, logged-in members and a valid order body (one order placed)."""
    gateway = stack.gateway_url
    members = await verified_members(gateway, stack.mail, MEMBERS, "order")
    await log_in(gateway, members)
    body = await order_body(gateway)
    await first_order(gateway, members[0], body)
    return members, body


async def measure(
    stack: Stack,
    ceilings: Ceilings,
    prepared: tuple[list[Member], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Measure, print and return the ordering figures of issues 6 and 9."""
    gateway = stack.gateway_url
    members, body = prepared or await prepare(stack)

    # The ceiling right before the figure, at the same concurrency, same load tool.
    ceiling = await closed_loop(
        write_ceiling_request(f"{ceilings.write_url}/rows"),
        connections=MEMBERS,
        seconds=SECONDS,
        ok=frozenset({201}),
    )
    burst: dict[str, float] = {}
    throughput = await closed_loop(
        placer(gateway, members, body, burst),
        connections=MEMBERS,
        seconds=SECONDS,
        ok=frozenset({201}),
    )
    drain_started = time.perf_counter()
    burst_mail = await wait_for_orders(stack.mail, set(burst), MAIL_TIMEOUT)
    drain_seconds = time.perf_counter() - drain_started

    half: dict[str, float] = {}
    half_rate = await open_loop(
        placer(gateway, members, body, half),
        rate=max(throughput.rps / 2, 1.0),
        seconds=SECONDS,
        members=MEMBERS,
        ok=frozenset({201}),
    )
    await wait_for_orders(stack.mail, set(half), MAIL_TIMEOUT)

    steady: dict[str, float] = {}
    paced = await open_loop(
        placer(gateway, members, body, steady),
        rate=RATE,
        seconds=STEADY_SECONDS,
        members=MEMBERS,
        ok=frozenset({201}),
    )
    steady_mail = await wait_for_orders(stack.mail, set(steady), MAIL_TIMEOUT)

    delays = [(steady_mail[i] - steady[i]) * 1000 for i in steady if i in steady_mail]
    mail = {
        "rate_per_second": RATE,
        "seconds": STEADY_SECONDS,
        "orders": len(steady),
        "mails_matched": len(delays),
        "p50_ms": round(percentile(delays, 50), 1),
        "p99_ms": round(percentile(delays, 99), 1),
        "max_ms": round(max(delays), 1) if delays else 0.0,
    }
    hops = await mail_hops(stack, steady, steady_mail)
    burst_drain = {
        "orders": len(burst),
        "mails_matched": len(burst_mail),
        "seconds_after_load_until_all_mailed": round(drain_seconds, 1),
    }
    header = ["load", "req/s", "p50 ms", "p99 ms", "requests", "errors", "answers"]
    rows = [
        [label, r.rps, r.p50_ms, r.p99_ms, r.requests, r.errors, _statuses(r)]
        for label, r in (
            (f"ceiling: one INSERT per request, {MEMBERS} concurrent", ceiling),
            (f"orders, {MEMBERS} concurrent, {SECONDS:g}s", throughput),
            (f"orders at half max ({half_rate.notes['target_rate']:g}/s)", half_rate),
            (f"orders at {RATE:g}/s for {STEADY_SECONDS:g}s", paced),
        )
    ]
    title = f"POST /orders through the gateway ({SERVICE_SLUG}, quantity {body['quantity']})"
    print(table(title, header, rows))
    title = f"\n201 → confirmation mail in the SMTP sink, at {RATE:g} orders/s"
    keys = ["orders", "mails_matched", "p50_ms", "p99_ms", "max_ms"]
    print(table(title, keys, [[mail[k] for k in keys]]))
    if hops:
        keys = ["p50_ms", "p99_ms", "max_ms"]
        rows = [[label, *(hops[label][k] for k in keys)] for label, _, _ in MAIL_HOPS]
        title = f"\nwhere the mail time goes ({hops['orders']} orders, by recorded instants)"
        print(table(title, ["hop", *keys], rows))
        print(f"slowest 1%, the hop that took most: {hops['slowest_1pct_dominant_hop']}")
    print(
        f"after the {MEMBERS}-member burst: {burst_drain['mails_matched']}/"
        f"{burst_drain['orders']} confirmation mails, the last "
        f"{burst_drain['seconds_after_load_until_all_mailed']}s after the load ended"
    )
    return {
        "order_body": body,
        "write_ceiling": ceiling.as_dict(),
        "placement_32_concurrent": throughput.as_dict(),
        "placement_half_max": half_rate.as_dict(),
        "placement_steady": paced.as_dict(),
        "confirmation_mail_latency": mail,
        "confirmation_mail_hops": hops,
        "burst_mail_drain": burst_drain,
        "targets": {
            "ratio_to_write_ceiling": TARGET_RATIO,
            "p99_at_half_max_ms": TARGET_P99_AT_HALF_MS,
            "mail_p50_ms": TARGET_MAIL_P50_MS,
            "mail_p99_ms": TARGET_MAIL_P99_MS,
        },
    }


#: The hops of an order's confirmation mail, each between two recorded instants.
MAIL_HOPS = (
    ("201 → outbox row", "answered", "created"),
    ("outbox → published (relay)", "created", "published"),
    ("published → delivery recorded (broker, consumer)", "published", "recorded"),
    ("recorded → SMTP accepted (sender)", "recorded", "sent"),
    ("SMTP accepted → in the sink", "sent", "arrived"),
)


async def mail_hops(
    stack: Stack, answered: dict[str, float], arrived: dict[str, float]
) -> dict[str, Any] | None:
    """Where each confirmation mail's time went, hop by hop (p50/p99/max ms), from
    ordering's outbox row and notification's delivery row of each order's
    ``ordering.order.placed`` event; None for a reused stack (its databases are unknown).

    The rows carry wall-clock times, the 201s and arrivals ``perf_counter`` ones:
    one offset, read once, puts them on the same clock.
    """
    ordering_dsn = stack.database_dsn("ordering")
    notification_dsn = stack.database_dsn("notification")
    if ordering_dsn is None or notification_dsn is None or not answered:
        return None
    import asyncpg

    offset = time.time() - time.perf_counter()
    connection = await asyncpg.connect(ordering_dsn)
    try:
        outbox = await connection.fetch(
            "SELECT id, envelope->'data'->>'order_id' AS order_id,"
            " extract(epoch FROM created_at) AS created,"
            " extract(epoch FROM published_at) AS published"
            " FROM outbox WHERE type = 'ordering.order.placed'"
            " AND envelope->'data'->>'order_id' = ANY($1::text[])",
            list(answered),
        )
    finally:
        await connection.close()
    connection = await asyncpg.connect(notification_dsn)
    try:
        deliveries = {
            row["event_id"]: row
            for row in await connection.fetch(
                "SELECT event_id, extract(epoch FROM created_at) AS recorded,"
                " extract(epoch FROM sent_at) AS sent FROM delivery"
                " WHERE event_id = ANY($1::uuid[])",
                [row["id"] for row in outbox],
            )
        }
    finally:
        await connection.close()
    instants: list[dict[str, float]] = []
    for row in outbox:
        delivery = deliveries.get(row["id"])
        order_id = row["order_id"]
        if delivery is None or row["published"] is None or delivery["sent"] is None:
            continue
        if order_id not in arrived:
            continue
        instants.append(
            {
                "answered": answered[order_id] + offset,
                "created": float(row["created"]),
                "published": float(row["published"]),
                "recorded": float(delivery["recorded"]),
                "sent": float(delivery["sent"]),
                "arrived": arrived[order_id] + offset,
            }
        )
    hops: dict[str, Any] = {"orders": len(instants)}
    for label, start, end in MAIL_HOPS:
        spans = [(i[end] - i[start]) * 1000 for i in instants]
        hops[label] = {
            "p50_ms": round(percentile(spans, 50), 1),
            "p99_ms": round(percentile(spans, 99), 1),
            "max_ms": round(max(spans), 1) if spans else 0.0,
        }
    # The slowest 1%: which hop took most of each one's time.
    slowest = sorted(instants, key=lambda i: i["arrived"] - i["answered"], reverse=True)
    worst: dict[str, int] = {}
    for i in slowest[: max(1, len(slowest) // 100)]:
        label = max(MAIL_HOPS, key=lambda hop: i[hop[2]] - i[hop[1]])[0]
        worst[label] = worst.get(label, 0) + 1
    hops["slowest_1pct_dominant_hop"] = worst
    return hops


async def run() -> dict[str, Any]:
    """Start a stack and the ceilings of its own, measure on them and save."""
    async with local_stack() as stack:
        async with ceilings_beside(stack, database="bench_ceiling") as ceilings:
            figures = await measure(stack, ceilings)
    print(f"saved {save('ordering', figures)}")
    return figures


def _statuses(result: LoadResult) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(result.notes["statuses"].items()))


if __name__ == "__main__":
    asyncio.run(run())
