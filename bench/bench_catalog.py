"""Issue 4's benchmark: catalog reads through the gateway and directly, 64 connections.

``GET /api/v1/services`` and ``GET /api/v1/services/{id}``, each against the
gateway and against the catalog service's own port, so the gateway's cost is
the difference. Each run is preceded by a short warm-up (connections, caches).

    uv run python -m bench.bench_catalog      # BENCH_SECONDS (10), BENCH_CONNECTIONS (64)
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp

from bench.load import LoadResult, get_load, wrk_available
from bench.report import save, table
from bench.stack import Stack, local_stack

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP_SECONDS = 2.0


async def _first_service_id(base_url: str) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/api/v1/services") as response:
            response.raise_for_status()
            lineup = await response.json()
    return str(lineup["items"][0]["id"])


async def measure(stack: Stack) -> dict[str, Any]:
    """Measure the four combinations on ``stack``, print and save them."""
    targets = {"gateway": stack.gateway_url, "catalog direct": stack.service_url("catalog")}
    service_id = await _first_service_id(stack.gateway_url)
    paths = {
        "GET /services": "/api/v1/services",
        "GET /services/{id}": f"/api/v1/services/{service_id}",
    }
    results: dict[str, dict[str, LoadResult]] = {}
    for endpoint, path in paths.items():
        for target, base in targets.items():
            url = base + path
            await get_load(url, connections=CONNECTIONS, seconds=WARMUP_SECONDS)
            results.setdefault(endpoint, {})[target] = await get_load(
                url, connections=CONNECTIONS, seconds=SECONDS
            )

    rows = []
    for endpoint, by_target in results.items():
        for target, r in by_target.items():
            rows.append([endpoint, target, r.rps, r.p50_ms, r.p99_ms, r.requests, r.errors])
        via, direct = by_target["gateway"], by_target["catalog direct"]
        p50_cost = round(via.p50_ms - direct.p50_ms, 2)
        p99_cost = round(via.p99_ms - direct.p99_ms, 2)
        rows.append([endpoint, "gateway cost", "", p50_cost, p99_cost, "", ""])
    tool = "wrk" if wrk_available() else "aiohttp"
    header = ["endpoint", "target", "req/s", "p50 ms", "p99 ms", "requests", "errors"]
    title = f"catalog reads, {CONNECTIONS} connections, {SECONDS:g}s each ({tool})"
    print(table(title, header, rows))
    figures = {
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "service_id": service_id,
        "results": {e: {t: r.as_dict() for t, r in bt.items()} for e, bt in results.items()},
    }
    print(f"saved {save('catalog', figures)}")
    return figures


async def run() -> dict[str, Any]:
    """Start a stack of its own and measure on it."""
    async with local_stack(need_mail=False) as stack:
        return await measure(stack)


if __name__ == "__main__":
    asyncio.run(run())
