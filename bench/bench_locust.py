"""Issue 9's mixed-traffic run: the Locust scenario of ``locustfile.py``, headless.

``locust --headless`` runs in a process of its own (gevent) against the
gateway for ``BENCH_LOCUST_SECONDS`` with ``BENCH_LOCUST_USERS`` simulated
members spawned at ``BENCH_LOCUST_SPAWN_RATE`` per second; its CSV statistics
give throughput, p50/p99 and failures per request type and in all. No target:
it shows how the parts hold up together under traffic weighted like the real
one (browsing far more than ordering).

    uv run python -m bench.bench_locust
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.members import Member, log_in, verified_members
from bench.report import save, table
from bench.stack import Stack, local_stack

USERS = int(os.environ.get("BENCH_LOCUST_USERS", "50"))
SPAWN_RATE = float(os.environ.get("BENCH_LOCUST_SPAWN_RATE", "25"))
SECONDS = float(os.environ.get("BENCH_LOCUST_SECONDS", "30"))
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def read_stats(path: Path) -> dict[str, dict[str, float]]:
    """Locust's ``*_stats.csv``: request count, failures, req/s, p50/p99 (ms) by name."""
    rows: dict[str, dict[str, float]] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = {
                "requests": _number(row["Request Count"]),
                "failures": _number(row["Failure Count"]),
                "rps": round(_number(row["Requests/s"]), 1),
                "p50_ms": _number(row["50%"]),
                "p99_ms": _number(row["99%"]),
                "max_ms": round(_number(row["Max Response Time"]), 1),
            }
    return rows


async def service_ids(gateway: str) -> list[str]:
    """The ids of the published lineup."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{gateway}/api/v1/services?limit=100") as response:
            response.raise_for_status()
            return [str(s["id"]) for s in (await response.json())["items"]]


async def measure(
    stack: Stack, members: list[Member], order_body: dict[str, Any]
) -> dict[str, Any]:
    """Run the scenario against ``stack`` as ``members`` and print its figures."""
    with tempfile.TemporaryDirectory(prefix="bizmall-locust-") as work:
        work_dir = Path(work)
        scenario_input = work_dir / "input.json"
        scenario_input.write_text(
            json.dumps(
                {
                    "service_ids": await service_ids(stack.gateway_url),
                    "order_body": order_body,
                    "tokens": [m.access_token for m in members],
                }
            )
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            f"{SPAWN_RATE:g}",
            "--run-time",
            f"{max(1, round(SECONDS))}s",
            "--host",
            stack.gateway_url,
            "--csv",
            str(work_dir / "run"),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
            env={**os.environ, "BENCH_LOCUST_INPUT": str(scenario_input)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        stats_file = work_dir / "run_stats.csv"
        if process.returncode != 0 or not stats_file.exists():
            text = out.decode(errors="replace")
            raise RuntimeError(f"locust failed ({process.returncode}):\n{text[-3000:]}")
        stats = read_stats(stats_file)
    header = ["request", "req/s", "p50 ms", "p99 ms", "requests", "failures"]
    rows = [
        [name, s["rps"], s["p50_ms"], s["p99_ms"], int(s["requests"]), int(s["failures"])]
        for name, s in stats.items()
    ]
    title = f"Locust, {USERS} members, {SECONDS:g}s, browsing:ordering 19:1 (through the gateway)"
    print(table(title, header, rows))
    return {"users": USERS, "seconds": SECONDS, "stats": stats}


async def run() -> dict[str, Any]:
    """Start a stack of its own, make the members and run the scenario."""
    from bench.bench_ordering import order_body

    async with local_stack() as stack:
        members = await verified_members(stack.gateway_url, stack.mail, 8, "locust")
        await log_in(stack.gateway_url, members)
        figures = await measure(stack, members, await order_body(stack.gateway_url))
    print(f"saved {save('locust', figures)}")
    return figures


if __name__ == "__main__":
    asyncio.run(run())
