"""Catalog reads (issues 4 and 9): through the gateway and directly, against their ceilings.

``GET /api/v1/services``, ``/services/{id}`` and ``/services/{id}/start-dates``
at 64 connections, each against the gateway and against the catalog service's
own port; in the same run, the framework ceiling (a bare FastAPI app serving
the same lineup through its typed model) and the two-hop ceiling (that app
behind a bare aiohttp pass-through proxy), see ``ceilings.py``. Then each
endpoint through the gateway at a fixed offered rate of half its measured
maximum (an open loop: requests start on the clock whatever the answers'
pace), where the p99 counts. Each run is preceded by a short warm-up.

Targets (issue 9): direct ≥ 80% of the framework ceiling's req/s; through the
gateway ≥ 80% of the two-hop ceiling's; p99 at half the maximum < 50 ms.

    uv run python -m bench.bench_catalog   # BENCH_SECONDS (10), BENCH_CONNECTIONS (64)
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp

from bench.ceilings import Ceilings, ceilings_beside
from bench.load import LoadResult, get_load, open_loop, wrk_available
from bench.report import save, table
from bench.stack import Stack, local_stack

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
TARGET_RATIO = 0.8
TARGET_P99_AT_HALF_MS = 50.0


async def _first_service_id(base_url: str) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/api/v1/services") as response:
            response.raise_for_status()
            lineup = await response.json()
    return str(lineup["items"][0]["id"])


async def _load(url: str) -> LoadResult:
    await get_load(url, connections=CONNECTIONS, seconds=WARMUP_SECONDS)
    return await get_load(url, connections=CONNECTIONS, seconds=SECONDS)


async def at_rate(url: str, rate: float) -> LoadResult:
    """GET ``url`` at a fixed offered ``rate`` per second for :data:`SECONDS` (open loop)."""

    async def fetch(session: aiohttp.ClientSession, _: int) -> int:
        async with session.get(url) as response:
            await response.read()
            return response.status

    return await open_loop(fetch, rate=max(rate, 1.0), seconds=SECONDS, members=CONNECTIONS)


async def measure(stack: Stack, ceilings: Ceilings) -> dict[str, Any]:
    """Measure ceilings, the endpoints and the half-rate latency; print and return them."""
    service_id = await _first_service_id(stack.gateway_url)
    targets = {"gateway": stack.gateway_url, "catalog direct": stack.service_url("catalog")}
    paths = {
        "GET /services": "/api/v1/services",
        "GET /services/{id}": f"/api/v1/services/{service_id}",
        "GET /services/{id}/start-dates": f"/api/v1/services/{service_id}/start-dates",
    }
    lineup = "/api/v1/services"
    # Each endpoint's figures right after their own ceilings: a noisy machine's drift
    # during the run then moves a figure and the ceiling it is divided by together.
    ceilings_by: dict[str, dict[str, LoadResult]] = {}
    results: dict[str, dict[str, LoadResult]] = {}
    for endpoint, path in paths.items():
        ceilings_by[endpoint] = {
            "framework": await _load(ceilings.framework_url + lineup),
            "two-hop": await _load(ceilings.proxy_url + lineup),
        }
        for target, base in targets.items():
            results.setdefault(endpoint, {})[target] = await _load(base + path)
        half = results[endpoint]["gateway"].rps / 2
        results[endpoint]["gateway at half max"] = await at_rate(stack.gateway_url + path, half)

    rows = []
    for endpoint, by_target in results.items():
        for name, r in ceilings_by[endpoint].items():
            rows.append([endpoint, f"ceiling: {name}", r.rps, r.p50_ms, r.p99_ms, r.errors])
        for target, r in by_target.items():
            rows.append([endpoint, target, r.rps, r.p50_ms, r.p99_ms, r.errors])
    tool = "wrk" if wrk_available() else "aiohttp"
    header = ["endpoint", "target", "req/s", "p50 ms", "p99 ms", "errors"]
    title = f"catalog reads, {CONNECTIONS} connections, {SECONDS:g}s each ({tool})"
    print(table(title, header, rows))
    return {
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "tool": tool,
        "service_id": service_id,
        "paths": paths,
        "ceilings": {
            e: {name: r.as_dict() for name, r in by.items()} for e, by in ceilings_by.items()
        },
        "results": {e: {t: r.as_dict() for t, r in bt.items()} for e, bt in results.items()},
        "targets": {"ratio": TARGET_RATIO, "p99_at_half_max_ms": TARGET_P99_AT_HALF_MS},
    }


async def run() -> dict[str, Any]:
    """Start a stack and the ceilings of its own, measure on them and save."""
    async with local_stack(need_mail=False) as stack:
        async with ceilings_beside(stack, database="bench_ceiling") as ceilings:
            figures = await measure(stack, ceilings)
    print(f"saved {save('catalog', figures)}")
    return figures


if __name__ == "__main__":
    asyncio.run(run())
