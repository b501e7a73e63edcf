"""Benchmark of the billing run (not a test): N active contracts → invoices per second
and the peak memory (RSS) of the process running it.

    uv run python services/billing/bench/run_bench.py [--contracts 10000] [--batch 500]
        [--server postgresql://postgres@127.0.0.1:5432]

It creates (and afterwards drops) its own database ``bizmall_billing_bench_<pid>`` on
the PostgreSQL server ``--server`` names (default: ``BENCH_POSTGRES_DSN``'s server,
else the local one), migrates it, loads members and contracts with COPY, then bills
one month with the same code the worker's scheduled job runs. Every contract is
its own member's only contract of its service, so one invoice is issued per contract.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
import uuid
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from billing.bootstrap import SERVICE
from billing.config import Settings
from billing.domain.billing_month import UsageMonth
from billing.service_layer.billing_run import run_billing
from servicekit.migrations import ensure_database, upgrade

#: The server when neither ``--server`` nor ``BENCH_POSTGRES_DSN`` names one.
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432"


def server_of(dsn: str) -> str:
    """``dsn`` without its database: ``postgresql://user@host:port``."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def load(dsn: str, contracts: int) -> None:
    now = datetime.now(UTC)
    name = json.dumps({"ja": "光回線", "en": "Fiber"})
    plan = json.dumps({"ja": "スタンダード", "en": "Standard"})
    members = [uuid.uuid4() for _ in range(contracts)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "billing_account",
            records=[
                (
                    uuid.uuid4(),
                    m,
                    1,
                    "corporation",
                    "山田 太郎",
                    "山田商事株式会社",
                    None,
                    "1000001",
                    "東京都千代田区千代田1-1",
                    "invoice",
                    False,
                    1,
                    now,
                    now,
                )
                for m in members
            ],
        )
        services = [uuid.uuid4() for _ in range(8)]
        await conn.copy_records_to_table(
            "billing_subscription",
            records=[
                (
                    uuid.uuid4(),
                    m,
                    services[i % 8],
                    name,
                    plan,
                    1 + i % 5,
                    3000,
                    5000,
                    False,
                    True,
                    date(2026, 3, 1 + i % 28),
                    None,
                    0,
                    1,
                    now,
                )
                for i, m in enumerate(members)
            ],
        )
    finally:
        await conn.close()


async def main(contracts: int, batch: int, server: str) -> None:
    database = f"bizmall_billing_bench_{os.getpid()}"
    url = server.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{database}"
    settings = Settings(database_url=url, run_batch_size=batch)
    await ensure_database(url)
    try:
        await asyncio.to_thread(upgrade, settings, "billing")
        await load(f"{server}/{database}", contracts)
        runtime = SERVICE.runtime(settings)
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        result = await run_billing(
            uow_factory=runtime.uow,
            settings=settings,
            usage=UsageMonth(2026, 3),
            today=date(2026, 4, 15),
        )
        elapsed = time.perf_counter() - started
        await runtime.close()
        print(f"contracts:        {contracts}")
        print(f"invoices issued:  {result.invoices_issued}")
        print(f"run time:         {elapsed:.2f} s (batch {batch})")
        print(f"invoices/s:       {result.invoices_issued / elapsed:.0f}")
        print(f"peak RSS:         {peak_rss_mb():.0f} MB (before the run: {rss_before:.0f} MB)")
    finally:
        admin = await asyncpg.connect(f"{server}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--server",
        default=server_of(os.environ.get("BENCH_POSTGRES_DSN", LOCAL_SERVER)),
        help="PostgreSQL server (postgresql://user[:password]@host:port), no database",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.contracts, arguments.batch, server_of(arguments.server)))
