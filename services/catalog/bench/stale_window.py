"""The catalog's stale window across replicas (issue 20), measured on real processes.

Starts catalog API processes on a database and Redis namespace of their own: the
replicas A and B, and Q, which shares their database but bumps the generation of
another namespace (so its changes send no message B could hear). Then, for each of
``--changes`` changes:

- *message*: rename the service through A's ops API, then read it from B as fast
  as one client can until B answers the new name. The window is counted from A's
  ops answer (the commit and the bump happened before it) to B's first new answer.
- *lost message*: rename it through Q, then bump the generation with a bare
  ``INCR`` — a change whose message was lost — and count from that bump to B's
  first new answer: the generation check's safety net, stated < 0.5 s.

Before each change B is read for a while, so its memory holds the old version.

    uv run python services/catalog/bench/stale_window.py [--changes 50]

Needs PostgreSQL (``BENCH_POSTGRES_DSN``, the local one by default) and Redis
(``CATALOG_REDIS_URL``) as in local mode (``docs/configuration.md``); prints the p50,
p99 and max of each window in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import redis.asyncio as aioredis

from servicekit.testing.smtp import free_port
from servicekit.testing.tokens import TokenIssuer

POSTGRES = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CATALOG_REDIS_URL", "redis://127.0.0.1:6379/0")
OPS = "/api/v1/ops/catalog/services"
#: How long B is read before each change (its memory fills within one check).
WARM_SECONDS = 0.3


def _env(database: str, namespace: str, jwks_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "BIZMALL_LOCAL_MODE": "1",
        "CATALOG_DATABASE_URL": f"postgresql+asyncpg://{urlsplit(POSTGRES).netloc}/{database}",
        "CATALOG_REDIS_URL": REDIS_URL,
        "CATALOG_REDIS_NAMESPACE": namespace,
        "CATALOG_JWKS_URL": jwks_url,
        "CATALOG_PORT": str(port),
        "CATALOG_LOG_LEVEL": "warning",
        "CATALOG_DB_POOL_SIZE": "2",
    }


async def _run(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "catalog", *args, env=env, stdout=asyncio.subprocess.DEVNULL
    )


async def _ready(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        with suppress(aiohttp.ClientError):
            async with session.get(f"{url}/readyz") as response:
                if response.status == 200:
                    return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not ready")
        await asyncio.sleep(0.3)


@asynccontextmanager
async def replicas(session: aiohttp.ClientSession, jwks_url: str) -> AsyncIterator[dict[str, Any]]:
    """A, B and Q up (see the module's docstring); everything removed afterwards."""
    run = uuid.uuid4().hex[:8]
    database, namespace = f"stale_window_{run}", f"stale-window-{run}"
    ports = {"a": free_port(), "b": free_port(), "q": free_port()}
    migrate = await _run(_env(database, namespace, jwks_url, 0), "migrate")
    if await migrate.wait() != 0:
        raise RuntimeError("migration failed")
    processes = []
    for name, port in ports.items():
        # Q bumps (and announces on) a namespace nobody reads: its changes are quiet.
        own = f"{namespace}:quiet" if name == "q" else namespace
        processes.append(await _run(_env(database, own, jwks_url, port), "api"))
    try:
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for url in urls.values():
            await _ready(session, url)
        yield {"urls": urls, "namespace": namespace}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await process.wait()
        conn = await asyncpg.connect(POSTGRES)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await conn.close()
        client = aioredis.from_url(REDIS_URL)
        try:
            async for key in client.scan_iter(match=f"{namespace}:*", count=500):
                await client.delete(key)
        finally:
            await client.aclose()


async def _name(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as response:
        response.raise_for_status()
        body = await response.json()
    return str(body["name"]["en"])


async def _seen(session: aiohttp.ClientSession, url: str, name: str) -> float:
    """Read ``url`` back to back until it answers ``name``; when it first did."""
    deadline = time.perf_counter() + 10
    while await _name(session, url) != name:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{name!r} not answered within 10 s")
    return time.perf_counter()


async def _warm(session: aiohttp.ClientSession, url: str) -> None:
    until = time.perf_counter() + WARM_SECONDS
    while time.perf_counter() < until:
        await _name(session, url)
        await asyncio.sleep(0.01)


async def measure(changes: int) -> dict[str, list[float]]:
    """The windows of both kinds, in milliseconds."""
    issuer = TokenIssuer()
    await issuer.start()
    headers = issuer.ops()
    windows: dict[str, list[float]] = {"message": [], "lost message": []}
    try:
        async with aiohttp.ClientSession() as session, replicas(session, issuer.jwks_url) as up:
            urls = up["urls"]
            body = _service_body()
            async with session.post(f"{urls['a']}{OPS}", json=body, headers=headers) as created:
                created.raise_for_status()
                service_id = (await created.json())["id"]
            async with session.post(f"{urls['a']}{OPS}/{service_id}/publish", headers=headers) as r:
                r.raise_for_status()
            on_b = f"{urls['b']}/api/v1/services/{service_id}"
            generation = f"{up['namespace']}:catalog:generation"
            redis = aioredis.from_url(REDIS_URL)
            try:
                for n in range(changes):
                    for kind, via in (("message", "a"), ("lost message", "q")):
                        await _warm(session, on_b)
                        name = f"{kind} {n}"
                        patch = {"name": {"ja": name, "en": name}}
                        async with session.patch(
                            f"{urls[via]}{OPS}/{service_id}", json=patch, headers=headers
                        ) as changed:
                            changed.raise_for_status()
                        if kind == "lost message":
                            await redis.incr(generation)
                        since = time.perf_counter()
                        windows[kind].append((await _seen(session, on_b, name) - since) * 1000)
            finally:
                await redis.aclose()
    finally:
        await issuer.stop()
    return windows


def _service_body() -> dict[str, Any]:
    slug = f"stale-{uuid.uuid4().hex[:8]}"
    return {
        "slug": slug,
        "category": "bench",
        "name": {"ja": slug, "en": slug},
        "description": {"ja": "計測用", "en": "For the measurement"},
        "order_unit": 1,
        "max_quantity_per_order": 10,
        "takes_phone_orders": True,
        "order_fields": {
            "type": "object",
            "properties": {"seats": {"type": "integer", "title": "席数", "x-title-en": "Seats"}},
            "required": ["seats"],
            "additionalProperties": False,
        },
        "lead_time_business_days": 2,
        "activation_notice": {"kind": "business_days_before_start", "business_days": 3},
        "requires_corporation": False,
        "allows_account_transfer": True,
        "free_first_month": False,
        "cancellable_on_site": False,
        "early_termination": {"kind": "fixed", "amount": 10000},
        "minimum_term_months": 12,
        "withdrawal_requires_contracts_ended": False,
        "plans": [
            {"name": {"ja": "標準", "en": "Standard"}, "monthly_fee": 1000, "initial_fee": 3000}
        ],
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    windows = asyncio.run(measure(args.changes))
    print(f"stale window across replicas over {args.changes} changes (ms):")
    for kind, values in windows.items():
        print(
            f"  {kind:13} p50 {statistics.median(values):7.1f}"
            f"  p99 {_quantile(values, 0.99):7.1f}  max {max(values):7.1f}"
        )


if __name__ == "__main__":
    main()
