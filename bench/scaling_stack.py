"""How the running stack's costs grow with its work (issue 20: the scaling curves on the stack).

The billing curve needs no stack (``scaling.py``); these do. ``measure(stack)``
returns one dict per curve (``scaling.<area>.<what>``: its points, axis labels,
unit, the growth expected and a note of how it was measured), in this order:

1. **Catalog reads with 8, 100 and 1,000 published services**
   (``BENCH_SCALING_SERVICES``, default ``8,100,1000``; sizes below the seeded
   lineup's 8 are measured at 8). Services are added the way ops add them: a
   fresh operator (``python -m identity create-ops`` on the stack's identity
   database, then its password-and-TOTP login) creates each as a copy of a
   seeded service's terms and plans under a new slug and publishes it, through
   catalog's ops API on catalog's own port, a few at a time. At each size,
   after a warm-up (``BENCH_WARMUP_SECONDS``, 2), for ``BENCH_SCALING_SECONDS``
   (5) at ``BENCH_CONNECTIONS`` (64), direct to catalog:
   ``scaling.catalog.lineup_rps``, the lineup's first page
   (``GET /api/v1/services``, default limit), and
   ``scaling.catalog.service_rps``, ``GET /api/v1/services/{id}`` cycling
   through *every* published service's id (one id would be one cache entry, the
   same at any size), each id read once before the warm-up so the timed run
   meets the cache as it stands in use. Expected flat: the lineup is a page of
   a keyset query and each answer is cached, so neither the page nor one
   service's answer costs more with more services beside it. The added
   services are retired at the end, so what runs after sees the seeded lineup
   on sale again.
2. **201 → confirmation mail p99 at 10, 20 and 40 orders/s**
   (``BENCH_SCALING_MAIL_RATES``, default ``10,20,40``, each for
   ``BENCH_SCALING_MAIL_SECONDS``, 20): ``bench_ordering``'s open loop by its
   32 members (``BENCH_MEMBERS``) and its mail matching by order id in the
   sink: ``scaling.mail.p99_ms``. Expected flat while the rates stay below
   what the relay, the consumer and the sender each sustain: each order's mail
   is an independent pipeline step, so a higher rate should only mean more of
   them, not a longer wait for each (queueing would show as a bend).
3. **Order placement with 10k, 100k and 1M existing orders**
   (``BENCH_SCALING_ORDERS``, default ``10000,100000,1000000``): ordering's
   ``orders`` table is grown to each size by COPY straight into ordering's
   database, incrementally (10k, then 90k more, then 900k more), ``ANALYZE``
   after each load; then ``bench_ordering``'s closed loop of 32 members places
   orders for ``BENCH_SCALING_SECONDS`` after a warm-up, and the loop waits for
   their confirmation mails before the next size (so a mail backlog does not
   load the next run): ``scaling.ordering.place_rps`` and
   ``scaling.ordering.place_p99_ms``, x the rows in ``orders`` at the run.
   Expected flat: placing reads the catalog copy and the member copy by
   primary key and inserts one row into B-tree indexes, whose cost grows with
   log n (one more level between 10k and 1M rows at most).

   The loaded orders look like real ones from the past year: a copy of an
   order the stack placed (so every NOT NULL column, and any column added
   later, is filled as the service fills it), spread over every service in
   ordering's catalog copy (each with its own name, plan, terms and notice
   timing) and over members (the 32 bench members among synthetic ones, about
   20 orders each), random v4 ids, created at random times over the past year.
   They are final — 85% active, 15% rejected — and each active order of a
   service that sends an activation notice has its ``activation_notice_issued``
   row, as it would: an open or un-noticed old order would be picked up by the
   worker's jobs (notices, document deadline) and send mail, which is not the
   steady state being measured. Not loaded: outbox rows (the relay prunes
   them after 7 days and reads only the unpublished ones, by a partial index),
   Idempotency-Keys (pruned after 24 h; the bench's orders send none) and
   contracts (placement reads none). Every loaded row (inquiry reference
   ``scaling-…``, a form ordering never makes) is deleted at the end.

Databases: a stack started by the suite names them (``Stack.database_dsn``);
for a reused stack (``BENCH_GATEWAY_URL``) they are ``<DEVRUN_DB_PREFIX><app>``
(default ``bench_``) on ``BENCH_POSTGRES_DSN``'s server, as ``python -m
bench.stack`` makes them.

    uv run python -m bench.scaling_stack   # on a stack of its own; prints the curves
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from bench import bench_ordering
from bench.load import LoadResult, closed_loop, get_load, get_paths_load, open_loop, percentile
from bench.members import Member
from bench.report import table
from bench.stack import Stack, local_stack, postgres_dsn
from bizmall_testkit.client import Authenticator
from bizmall_testkit.processes import create_operator

SECONDS = float(os.environ.get("BENCH_SCALING_SECONDS", "5"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
MAIL_SECONDS = float(os.environ.get("BENCH_SCALING_MAIL_SECONDS", "20"))
#: Services added (created and published) at once.
PUBLISH_CONCURRENCY = 4
#: Orders per COPY statement.
COPY_BATCH = 50_000
#: Average orders per member among the loaded orders.
ORDERS_PER_MEMBER = 20
#: Share of the loaded orders that are active (the rest were rejected).
ACTIVE_SHARE = 0.85
#: The inquiry reference of every loaded order begins so (ordering's own are 16
#: characters of ``secrets.token_urlsafe``: never this).
LOADED_REFERENCE = "scaling-"
#: The status history of a loaded order, by its outcome.
ACTIVE_STEPS = ("received", "accepted", "provisioning", "active")
REJECTED_STEPS = ("received", "rejected")
#: An operator's access token lives 15 minutes: log in again after this many seconds.
OPS_SESSION_SECONDS = 600.0


def _numbers(variable: str, default: str) -> list[float]:
    text = os.environ.get(variable, default)
    return [float(part) for part in text.split(",") if part.strip()]


SERVICE_SIZES = [int(n) for n in _numbers("BENCH_SCALING_SERVICES", "8,100,1000")]
ORDER_SIZES = [int(n) for n in _numbers("BENCH_SCALING_ORDERS", "10000,100000,1000000")]
MAIL_RATES = _numbers("BENCH_SCALING_MAIL_RATES", "10,20,40")


def curve(
    curve_id: str,
    title: str,
    x_label: str,
    y_label: str,
    unit: str,
    points: list[list[float]],
    note: str,
) -> dict[str, Any]:
    """One curve in the shape the summary reads; every curve here is expected flat."""
    return {
        "id": curve_id,
        "title": title,
        "x_label": x_label,
        "y_label": y_label,
        "unit": unit,
        "points": points,
        "expect": "flat",
        "note": note,
    }


def database_dsn(stack: Stack, app: str) -> str:
    """asyncpg DSN of ``app``'s database: the suite's own stack's, or a reused stack's
    by ``DEVRUN_DB_PREFIX`` (the prefix ``python -m bench.stack`` gave it)."""
    known = stack.database_dsn(app)
    if known is not None:
        return known
    prefix = os.environ.get("DEVRUN_DB_PREFIX", "bench_")
    return f"{postgres_dsn().rsplit('/', 1)[0]}/{prefix}{app}"


# ---- the operator


@dataclass
class Operator:
    """A fresh operator of the stack's own and its session (renewed before it expires)."""

    gateway: str
    email: str
    password: str
    authenticator: Authenticator = field(default_factory=Authenticator)
    _headers: dict[str, str] = field(default_factory=dict)
    _since: float = 0.0
    _login: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def headers(self) -> dict[str, str]:
        """The Authorization header of a live session (callers at once share one login:
        the first hands out the TOTP secret, and each code is good once)."""
        async with self._login:
            if not self._headers or time.monotonic() - self._since > OPS_SESSION_SECONDS:
                self._headers = await self._log_in()
                self._since = time.monotonic()
        return self._headers

    async def _log_in(self) -> dict[str, str]:
        async with aiohttp.ClientSession() as session:
            body = {"login_id": self.email, "password": self.password}
            async with session.post(f"{self.gateway}/api/v1/auth/login", json=body) as r:
                challenge = await r.json(content_type=None)
                if r.status != 200 or not challenge.get("mfa_required"):
                    raise RuntimeError(f"operator login: {r.status} {challenge}")
            if "totp_enrollment" in challenge:
                # The first login hands out the secret the authenticator enrols.
                self.authenticator.secret = challenge["totp_enrollment"]["secret"]
            code = await self.authenticator.code()
            body = {"challenge_token": challenge["challenge_token"], "code": code}
            async with session.post(f"{self.gateway}/api/v1/auth/login/totp", json=body) as r:
                tokens = await r.json(content_type=None)
                if r.status != 200:
                    raise RuntimeError(f"operator TOTP: {r.status} {tokens}")
        return {"Authorization": f"Bearer {tokens['access_token']}"}


def _identity_environment(stack: Stack) -> dict[str, str]:
    # The variables the stack's identity processes run with (devrun's local mode on
    # the stack's databases and namespace), for identity's own command line.
    from devrun.plan import build

    identity_url = database_dsn(stack, "identity").replace(
        "postgresql://", "postgresql+asyncpg://", 1
    )
    env = {
        **os.environ,
        "DEVRUN_DB_PREFIX": stack.db_prefix or os.environ.get("DEVRUN_DB_PREFIX", "bench_"),
        "DEVRUN_NAMESPACE": os.environ.get("DEVRUN_NAMESPACE", "bench"),
        "DEVRUN_PORT_BASE": str(urlsplit(stack.gateway_url).port or 80),
        "IDENTITY_DATABASE_URL": identity_url,
    }
    return {**env, **build(env).env}


async def new_operator(stack: Stack) -> Operator:
    """An operator made by ``python -m identity create-ops`` on the stack's identity
    database (the demo operator's second factor may already be enrolled elsewhere)."""
    email, password = await create_operator(_identity_environment(stack), tag="scaling")
    return Operator(gateway=stack.gateway_url, email=email, password=password)


# ---- 1. catalog reads by published services


async def published_ids(catalog: str) -> list[str]:
    """Every published service's id, in lineup order (every page of the lineup)."""
    ids: list[str] = []
    cursor: str | None = None
    async with aiohttp.ClientSession() as session:
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            async with session.get(f"{catalog}/api/v1/services", params=params) as response:
                response.raise_for_status()
                page = await response.json()
            ids += [str(item["id"]) for item in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return ids


async def service_template(catalog: str, service_id: str) -> dict[str, Any]:
    """The body of ``POST /ops/catalog/services`` repeating a published service's terms
    and plans (the slug, the id and the plans' ids left to fill)."""
    from catalog.domain.model import ServiceTerms

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{catalog}/api/v1/services/{service_id}") as response:
            response.raise_for_status()
            service = await response.json()
    body = {name: service[name] for name in ServiceTerms.model_fields}
    body["plans"] = [
        {"name": p["name"], "monthly_fee": p["monthly_fee"], "initial_fee": p["initial_fee"]}
        for p in service["plans"]
    ]
    return body


async def add_services(
    catalog: str, operator: Operator, template: dict[str, Any], count: int, tag: str, start: int
) -> list[str]:
    """Create and publish ``count`` copies of ``template`` through catalog's ops API;
    their ids."""
    base = f"{catalog}/api/v1/ops/catalog/services"
    limit = asyncio.Semaphore(PUBLISH_CONCURRENCY)

    async def one(session: aiohttp.ClientSession, number: int) -> str:
        body = {
            **template,
            "slug": f"scaling-{tag}-{number:05d}",
            "name": {k: f"{v} {number}" for k, v in template["name"].items()},
        }
        async with limit:
            headers = await operator.headers()
            async with session.post(base, json=body, headers=headers) as response:
                created = await response.json(content_type=None)
                if response.status != 201:
                    raise RuntimeError(f"create service: {response.status} {created}")
            service_id = str(created["id"])
            async with session.post(f"{base}/{service_id}/publish", headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"publish: {response.status} {await response.text()}")
        return service_id

    async with aiohttp.ClientSession() as session:
        return list(await asyncio.gather(*(one(session, start + n) for n in range(count))))


async def retire_services(catalog: str, operator: Operator, ids: list[str]) -> None:
    """Take the added services off sale again (a few at a time)."""
    base = f"{catalog}/api/v1/ops/catalog/services"
    limit = asyncio.Semaphore(PUBLISH_CONCURRENCY)

    async def one(session: aiohttp.ClientSession, service_id: str) -> None:
        async with limit:
            headers = await operator.headers()
            async with session.post(f"{base}/{service_id}/retire", headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"retire: {response.status} {await response.text()}")

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session, service_id) for service_id in ids))


async def prime(base: str, paths: list[str]) -> None:
    """GET every path once (a few at a time): a timed run cycling through 1,000 ids
    would otherwise meet each id about once, every answer a cache miss, and measure
    the uncached read instead of the steady state."""
    limit = asyncio.Semaphore(8)
    async with aiohttp.ClientSession() as session:

        async def one(path: str) -> None:
            async with limit, session.get(base + path) as response:
                await response.read()

        await asyncio.gather(*(one(path) for path in paths))


async def _warm_and_load(base: str, paths: list[str]) -> LoadResult:
    await prime(base, paths)
    if len(paths) == 1:
        await get_load(base + paths[0], connections=CONNECTIONS, seconds=WARMUP_SECONDS)
        return await get_load(base + paths[0], connections=CONNECTIONS, seconds=SECONDS)
    await get_paths_load(base, paths, connections=CONNECTIONS, seconds=WARMUP_SECONDS)
    return await get_paths_load(base, paths, connections=CONNECTIONS, seconds=SECONDS)


async def catalog_curves(stack: Stack) -> list[dict[str, Any]]:
    """``scaling.catalog.lineup_rps`` and ``scaling.catalog.service_rps``."""
    catalog = stack.service_url("catalog")
    seeded = await published_ids(catalog)
    template = await service_template(catalog, seeded[0])
    operator = await new_operator(stack)
    tag = uuid.uuid4().hex[:6]
    added: list[str] = []
    rows: list[list[Any]] = []
    lineup_points: list[list[float]] = []
    service_points: list[list[float]] = []
    publishing: list[str] = []
    try:
        for size in sorted(SERVICE_SIZES):
            missing = size - len(seeded) - len(added)
            if missing > 0:
                began = time.perf_counter()
                added += await add_services(catalog, operator, template, missing, tag, len(added))
                took = time.perf_counter() - began
                publishing.append(f"{missing} in {took:.0f}s")
                print(f"published {missing} services in {took:.1f}s", flush=True)
            ids = await published_ids(catalog)
            lineup = await _warm_and_load(catalog, ["/api/v1/services"])
            service = await _warm_and_load(catalog, [f"/api/v1/services/{i}" for i in ids])
            lineup_points.append([len(ids), lineup.rps])
            service_points.append([len(ids), service.rps])
            for label, result in (("GET /services", lineup), ("GET /services/{id}", service)):
                rows.append(
                    [len(ids), label, result.rps, result.p50_ms, result.p99_ms, result.errors]
                )
    finally:
        if added:
            began = time.perf_counter()
            await retire_services(catalog, operator, added)
            print(
                f"retired the {len(added)} added services in {time.perf_counter() - began:.1f}s",
                flush=True,
            )
    header = ["services", "endpoint", "req/s", "p50 ms", "p99 ms", "errors"]
    print(
        table(
            f"catalog reads by published services, direct, {CONNECTIONS} connections, "
            f"{SECONDS:g}s each",
            header,
            rows,
        )
    )
    how = (
        f"direct to catalog, {CONNECTIONS} connections, {SECONDS:g}s after a "
        f"{WARMUP_SECONDS:g}s warm-up at each size; services added as copies of a seeded "
        f"one through the ops API ({', '.join(publishing) or 'none added'}), retired after"
    )
    failed = [f"{r[0]} services, {r[1]}: {r[5]}" for r in rows if r[5]]
    if failed:
        how += f"; failed requests (not timed): {', '.join(failed)}"
    return [
        curve(
            "scaling.catalog.lineup_rps",
            "Lineup's first page by published services",
            "published services",
            "GET /api/v1/services req/s",
            "req/s",
            lineup_points,
            f"{how}. Flat expected: one page of a keyset query, cached.",
        ),
        curve(
            "scaling.catalog.service_rps",
            "One service's page by published services",
            "published services",
            "GET /api/v1/services/{id} req/s (every id in turn)",
            "req/s",
            service_points,
            f"{how}; each run cycles through every published id. Flat expected: a "
            "primary-key read, cached per service.",
        ),
    ]


# ---- 2. order → mail by offered rate


async def mail_curve(stack: Stack, members: list[Member], body: dict[str, Any]) -> dict[str, Any]:
    """``scaling.mail.p99_ms``: 201 → confirmation mail p99 by offered order rate."""
    points: list[list[float]] = []
    rows: list[list[Any]] = []
    for rate in MAIL_RATES:
        placed: dict[str, float] = {}
        result = await open_loop(
            bench_ordering.placer(stack.gateway_url, members, body, placed),
            rate=rate,
            seconds=MAIL_SECONDS,
            members=len(members),
            ok=frozenset({201}),
        )
        arrived = await bench_ordering.wait_for_orders(
            stack.mail, set(placed), bench_ordering.MAIL_TIMEOUT
        )
        delays = [(arrived[i] - placed[i]) * 1000 for i in placed if i in arrived]
        p99 = round(percentile(delays, 99), 1)
        points.append([rate, p99])
        rows.append(
            [
                rate,
                result.requests,
                len(placed),
                len(delays),
                round(percentile(delays, 50), 1),
                p99,
                answers(result),
            ]
        )
    header = ["orders/s", "sent", "accepted", "mailed", "p50 ms", "p99 ms", "answers"]
    print(table(f"201 → confirmation mail by offered rate, {MAIL_SECONDS:g}s each", header, rows))
    counts = "; ".join(
        f"{r[0]:g}/s: {r[3]} of {r[2]} accepted mailed, answers {r[6]}" for r in rows
    )
    return curve(
        "scaling.mail.p99_ms",
        "201 → confirmation mail p99 by order rate",
        "offered orders/s",
        "p99 201 → mail in the SMTP sink, ms",
        "ms",
        points,
        f"open loop of {len(members)} members through the gateway, {MAIL_SECONDS:g}s per "
        f"rate ({counts}). Flat expected below the pipeline's capacity: each mail is its "
        "own relay, consume and send step; a bend is queueing.",
    )


# ---- 3. order placement by existing orders


def answers(result: LoadResult) -> str:
    """The answers of a load run by status (``201:640 500:2``)."""
    statuses = result.notes.get("statuses")
    if statuses is None:  # wrk counts errors, not statuses
        return f"errors:{result.errors}"
    return " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))


def member_id_of(member: Member) -> uuid.UUID:
    """The member's id: the ``sub`` of its access token (read, not verified)."""
    assert member.access_token is not None
    payload = member.access_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return uuid.UUID(claims["sub"])


def _random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass(frozen=True)
class _Offer:
    """What a loaded order takes from one plan of one service (JSON columns as text)."""

    service_id: uuid.UUID
    service_version: int
    service_name: str
    plan_id: uuid.UUID
    plan_version_id: uuid.UUID
    plan_name: str
    quantity: int
    options: str
    terms: str
    notice_days: int | None
    lead_days: int
    withdrawal_requires_contracts_ended: bool


def _offers(snapshots: list[dict[str, Any]], template_terms: dict[str, Any]) -> list[_Offer]:
    # Every plan of every service in ordering's catalog copy; the terms carry the
    # template order's keys, each filled from the plan or the service as placing does.
    offers = []
    for s in snapshots:
        notice = s.get("activation_notice") or {}
        try:
            options = bench_ordering.sample_options(s.get("order_fields") or {})
        except (ValueError, KeyError):
            options = {}
        for plan in s.get("plans", []):
            terms = {
                key: plan.get(key, s.get(key, value))
                for key, value in template_terms.items()
                if key != "service_version"
            }
            terms["service_version"] = s["service_version"]
            offers.append(
                _Offer(
                    service_id=uuid.UUID(s["service_id"]),
                    service_version=s["service_version"],
                    service_name=json.dumps(s["name"], ensure_ascii=False),
                    plan_id=uuid.UUID(plan["plan_id"]),
                    plan_version_id=uuid.UUID(plan["plan_version_id"]),
                    plan_name=json.dumps(plan["name"], ensure_ascii=False),
                    quantity=s.get("order_unit", 1),
                    options=json.dumps(options, ensure_ascii=False),
                    terms=json.dumps(terms, ensure_ascii=False),
                    notice_days=(
                        notice.get("business_days")
                        if notice.get("kind") == "business_days_before_start"
                        else None
                    ),
                    lead_days=s.get("lead_time_business_days", 3),
                    withdrawal_requires_contracts_ended=s.get(
                        "withdrawal_requires_contracts_ended", False
                    ),
                )
            )
    return offers


class OrderLoader:
    """Grows ordering's ``orders`` table with COPY: realistic, final, past orders."""

    REJECTION = "ご指定の設置場所では提供できません。"

    def __init__(
        self,
        connection: asyncpg.Connection,
        columns: list[str],
        template: dict[str, Any],
        offers: list[_Offer],
        bench_members: list[uuid.UUID],
    ) -> None:
        self.connection = connection
        self.columns = columns
        self.template = template
        self.offers = offers
        self.members = list(bench_members)
        self.loaded = 0
        self.rng = random.Random(20)
        self.now = datetime.now(UTC)
        self._history_entry = json.loads(template["status_history"])[0]

    @classmethod
    async def open(cls, connection: asyncpg.Connection, members: list[Member]) -> OrderLoader:
        """A loader copying the newest order the stack placed, over every service copy."""
        columns = [
            row["column_name"]
            for row in await connection.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = 'orders'"
                " ORDER BY ordinal_position"
            )
        ]
        template_row = await connection.fetchrow(
            "SELECT * FROM orders WHERE inquiry_reference NOT LIKE $1"
            " ORDER BY created_at DESC LIMIT 1",
            LOADED_REFERENCE + "%",
        )
        if template_row is None:
            raise RuntimeError("no order placed yet to copy")
        snapshots = [
            json.loads(row["snapshot"])
            for row in await connection.fetch(
                "SELECT c.snapshot FROM ordering_catalog_current cur"
                " JOIN ordering_catalog_copy c USING (service_id, version)"
            )
        ]
        template = dict(template_row)
        offers = _offers(snapshots, json.loads(template["terms"]))
        if not offers:
            raise RuntimeError("ordering has no catalog copy to order from")
        return cls(connection, columns, template, offers, [member_id_of(m) for m in members])

    def _constant(self, offer: _Offer) -> list[tuple[int, Any]]:
        # The columns an offer fixes, by position in the COPY's column list.
        values = {
            "service_id": offer.service_id,
            "service_version": offer.service_version,
            "service_name": offer.service_name,
            "plan_id": offer.plan_id,
            "plan_version_id": offer.plan_version_id,
            "plan_name": offer.plan_name,
            "quantity": offer.quantity,
            "options": offer.options,
            "terms": offer.terms,
            "notice_business_days_before": offer.notice_days,
            "withdrawal_requires_contracts_ended": offer.withdrawal_requires_contracts_ended,
            "held_from": None,
        }
        return [(self.columns.index(k), v) for k, v in values.items() if k in self.columns]

    def _batch(self, first: int, count: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Orders ``first`` to ``first + count`` of this loader, and their notice rows."""
        rng = self.rng
        at = {name: i for i, name in enumerate(self.columns)}
        varying = [
            at.get(name)
            for name in (
                "id",
                "member_id",
                "desired_start_date",
                "planned_start_date",
                "inquiry_reference",
                "status",
                "version",
                "reason",
                "status_history",
                "created_at",
                "updated_at",
            )
        ]
        if None in varying:
            raise RuntimeError(f"ordering's orders table lacks one of the columns {varying}")
        (
            i_id,
            i_member,
            i_desired,
            i_planned,
            i_ref,
            i_status,
            i_version,
            i_reason,
            i_history,
            i_created,
            i_updated,
        ) = (int(i) for i in varying if i is not None)
        base = [self.template[c] for c in self.columns]
        constants = [self._constant(offer) for offer in self.offers]
        # About ORDERS_PER_MEMBER orders per member, the bench's among them.
        while len(self.members) * ORDERS_PER_MEMBER < first + count:
            self.members.append(_random_uuid(rng))
        members = self.members
        version0 = int(self.template["version"])
        extra = {
            k: v for k, v in self._history_entry.items() if k not in ("status", "at", "reason")
        }
        rejection = json.dumps(self.REJECTION, ensure_ascii=False)
        orders: list[tuple[Any, ...]] = []
        notices: list[tuple[Any, ...]] = []
        for n in range(first, first + count):
            k = rng.randrange(len(self.offers))
            offer = self.offers[k]
            created = self.now - timedelta(seconds=rng.uniform(86400, 365 * 86400))
            start = created.date() + timedelta(days=offer.lead_days + 2 + rng.randrange(20))
            active = rng.random() < ACTIVE_SHARE
            steps = ACTIVE_STEPS if active else REJECTED_STEPS
            entries = []
            moment = created
            for step in steps:
                reason = rejection if step == "rejected" else "null"
                entries.append(
                    f'{{"at": "{moment.isoformat()}", "reason": {reason}, "status": "{step}"}}'
                )
                moment += timedelta(hours=rng.uniform(1, 48))
            history = "[" + ", ".join(entries) + "]"
            if extra:
                history = json.dumps([{**json.loads(e), **extra} for e in entries])
            order_id = _random_uuid(rng)
            row = base.copy()
            for index, value in constants[k]:
                row[index] = value
            row[i_id] = order_id
            row[i_member] = members[rng.randrange(len(members))]
            row[i_desired] = row[i_planned] = start
            row[i_ref] = f"{LOADED_REFERENCE}{n:012d}"
            row[i_status] = steps[-1]
            row[i_version] = version0 + len(steps) - 1
            row[i_reason] = None if active else self.REJECTION
            row[i_history] = history
            row[i_created] = created
            row[i_updated] = moment - timedelta(hours=1)
            orders.append(tuple(row))
            if active and offer.notice_days is not None:
                issued = datetime.combine(start, datetime.min.time(), UTC) - timedelta(
                    days=offer.notice_days + 1
                )
                notices.append((order_id, issued))
        return orders, notices

    async def grow_to(self, size: int) -> int:
        """COPY orders in until ``orders`` holds ``size`` rows (none if it does);
        ANALYZE; how many were loaded. Each next batch is made in a thread while the
        database takes the one before (its index inserts are most of the time)."""
        existing = await self.connection.fetchval("SELECT count(*) FROM orders")
        wanted = max(0, size - existing)
        batches = [
            (self.loaded + offset, min(COPY_BATCH, wanted - offset))
            for offset in range(0, wanted, COPY_BATCH)
        ]
        pending = (
            asyncio.create_task(asyncio.to_thread(self._batch, *batches[0])) if batches else None
        )
        for number in range(len(batches)):
            assert pending is not None
            orders, notices = await pending
            if number + 1 < len(batches):
                pending = asyncio.create_task(asyncio.to_thread(self._batch, *batches[number + 1]))
            async with self.connection.transaction():
                await self.connection.copy_records_to_table(
                    "orders", records=orders, columns=self.columns
                )
                if notices:
                    await self.connection.copy_records_to_table(
                        "activation_notice_issued",
                        records=notices,
                        columns=["order_id", "issued_at"],
                    )
        self.loaded += wanted
        await self.connection.execute("ANALYZE orders")
        await self.connection.execute("ANALYZE activation_notice_issued")
        return wanted

    async def remove(self) -> int:
        """Delete every loaded order and its notice row; how many orders."""
        async with self.connection.transaction():
            await self.connection.execute(
                "DELETE FROM activation_notice_issued a USING orders o"
                " WHERE a.order_id = o.id AND o.inquiry_reference LIKE $1",
                LOADED_REFERENCE + "%",
            )
            status = await self.connection.execute(
                "DELETE FROM orders WHERE inquiry_reference LIKE $1", LOADED_REFERENCE + "%"
            )
        await self.connection.execute("ANALYZE orders")
        return int(status.split()[-1])


async def _place_for(
    stack: Stack,
    members: list[Member],
    body: dict[str, Any],
    seconds: float,
    placed: dict[str, float],
) -> LoadResult:
    return await closed_loop(
        bench_ordering.placer(stack.gateway_url, members, body, placed),
        connections=len(members),
        seconds=seconds,
        ok=frozenset({201}),
    )


async def ordering_curves(
    stack: Stack, members: list[Member], body: dict[str, Any]
) -> list[dict[str, Any]]:
    """``scaling.ordering.place_rps`` and ``scaling.ordering.place_p99_ms``."""
    connection = await asyncpg.connect(database_dsn(stack, "ordering"))
    rps_points: list[list[float]] = []
    p99_points: list[list[float]] = []
    rows: list[list[Any]] = []
    loads: list[str] = []
    try:
        loader = await OrderLoader.open(connection, members)
        try:
            for size in sorted(ORDER_SIZES):
                began = time.perf_counter()
                loaded = await loader.grow_to(size)
                took = time.perf_counter() - began
                if loaded:
                    loads.append(f"+{loaded:,} in {took:.1f}s ({loaded / took:,.0f} rows/s)")
                    print(f"loaded {loaded:,} orders in {took:.1f}s", flush=True)
                existing = await connection.fetchval("SELECT count(*) FROM orders")
                placed: dict[str, float] = {}
                await _place_for(stack, members, body, WARMUP_SECONDS, placed)
                result = await _place_for(stack, members, body, SECONDS, placed)
                # Their mails drain before the next size, so no backlog loads its run.
                await bench_ordering.wait_for_orders(
                    stack.mail, set(placed), bench_ordering.MAIL_TIMEOUT
                )
                rps_points.append([existing, result.rps])
                p99_points.append([existing, result.p99_ms])
                rows.append(
                    [
                        existing,
                        result.rps,
                        result.p50_ms,
                        result.p99_ms,
                        result.requests,
                        answers(result),
                    ]
                )
        finally:
            began = time.perf_counter()
            removed = await loader.remove()
            print(
                f"removed the {removed:,} loaded orders in {time.perf_counter() - began:.1f}s",
                flush=True,
            )
    finally:
        await connection.close()
    header = ["existing orders", "orders/s", "p50 ms", "p99 ms", "requests", "answers"]
    print(
        table(
            f"POST /orders by {len(members)} members by existing orders, {SECONDS:g}s each",
            header,
            rows,
        )
    )
    how = (
        f"{len(members)} members back to back through the gateway, {SECONDS:g}s after a "
        f"{WARMUP_SECONDS:g}s warm-up at each size; existing orders COPY-loaded into "
        f"ordering's database ({'; '.join(loads) or 'none loaded'}), ANALYZEd, final "
        f"(85% active, 15% rejected), over every service copy and ~{ORDERS_PER_MEMBER} "
        f"per member; answers by size: {', '.join(f'{r[0]:,}: {r[5]}' for r in rows)}"
    )
    why = "Flat expected: primary-key reads and B-tree inserts (log n)."
    return [
        curve(
            "scaling.ordering.place_rps",
            "Order placement rate by existing orders",
            "existing orders",
            "POST /orders orders/s",
            "orders/s",
            rps_points,
            f"{how}. {why}",
        ),
        curve(
            "scaling.ordering.place_p99_ms",
            "Order placement p99 by existing orders",
            "existing orders",
            "POST /orders p99, ms",
            "ms",
            p99_points,
            f"{how}. {why}",
        ),
    ]


# ---- all of them


async def measure(
    stack: Stack, prepared: tuple[list[Member], dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every curve of the running stack: catalog, then the mail rates (few orders), then
    the existing orders (which fill ordering's database). ``prepared``: the bench's
    members and order body from :func:`bench_ordering.prepare`, made here if None."""
    curves = await catalog_curves(stack)
    members, body = prepared or await bench_ordering.prepare(stack)
    curves.append(await mail_curve(stack, members, body))
    curves += await ordering_curves(stack, members, body)
    return curves


def _points(curves: list[dict[str, Any]]) -> Iterator[str]:
    for c in curves:
        shown = ", ".join(f"{x:g} → {y:g}" for x, y in c["points"])
        yield f"{c['id']}: {shown} {c['unit']}"


async def run() -> list[dict[str, Any]]:
    """Start a stack of its own, measure the curves on it and print them."""
    async with local_stack() as stack:
        curves = await measure(stack)
    print("\n".join(_points(curves)))
    return curves


if __name__ == "__main__":
    asyncio.run(run())
