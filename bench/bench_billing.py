"""Issue 9's billing-run benchmark: invoices per second over N active contracts, peak memory.

It runs billing's own benchmark, ``services/billing/bench/run_bench.py`` (its
own database, N members each with one active contract loaded with COPY, then
one month billed with the code the worker's scheduled job runs), in a process
of its own, so its peak RSS is that of a billing process during a run, and
reads the figures it prints.

    uv run python -m bench.bench_billing      # BENCH_CONTRACTS (10000), BENCH_BILLING_BATCH (500)
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

from bench.report import save, table
from bench.stack import postgres_dsn

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "10000"))
BATCH = int(os.environ.get("BENCH_BILLING_BATCH", "500"))
SCRIPT = Path(__file__).resolve().parents[1] / "services" / "billing" / "bench" / "run_bench.py"
TARGET_INVOICES_PER_SECOND = 300.0
TARGET_PEAK_MB = 300.0

_FIGURES = {
    "invoices_issued": re.compile(r"invoices issued:\s+(\d+)"),
    "run_seconds": re.compile(r"run time:\s+([\d.]+) s"),
    "invoices_per_second": re.compile(r"invoices/s:\s+([\d.]+)"),
    "peak_rss_mb": re.compile(r"peak RSS:\s+([\d.]+) MB"),
    "rss_before_run_mb": re.compile(r"before the run:\s+([\d.]+) MB"),
}


def parse(output: str) -> dict[str, float]:
    """The figures ``run_bench.py`` printed."""
    figures: dict[str, float] = {}
    for name, pattern in _FIGURES.items():
        found = pattern.search(output)
        if found is None:
            raise RuntimeError(f"billing benchmark printed no {name}:\n{output}")
        figures[name] = float(found.group(1))
    return figures


async def billing_run(contracts: int) -> dict[str, Any]:
    """Run billing's benchmark over ``contracts`` contracts; the figures it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--contracts",
        str(contracts),
        "--batch",
        str(BATCH),
        "--server",
        postgres_dsn(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    text = out.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"billing benchmark failed ({process.returncode}):\n{text}")
    return {"contracts": contracts, "batch": BATCH, **parse(text)}


async def measure() -> dict[str, Any]:
    """Run billing's benchmark over :data:`CONTRACTS` contracts and print its figures."""
    figures = await billing_run(CONTRACTS)
    rows = [[name, value] for name, value in figures.items()]
    print(table(f"billing run over {CONTRACTS} active contracts", ["figure", "value"], rows))
    return figures


async def run() -> dict[str, Any]:
    """Measure and save (no stack needed)."""
    figures = await measure()
    print(f"saved {save('billing', figures)}")
    return figures


if __name__ == "__main__":
    asyncio.run(run())
