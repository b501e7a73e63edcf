"""Benchmark of the billing run (not a test): N active contracts → invoices per second
and the peak memory (RSS) of the process running it.

    uv run python services/billing/bench/run_bench.py [--contracts 10000] [--batch 500]
        [--server postgresql://postgres@127.0.0.1:5432] [--via-api]

It creates (and afterwards drops) its own database ``bizmall_billing_bench_<pid>`` on
the PostgreSQL server ``--server`` names (default: ``BENCH_POSTGRES_DSN``'s server,
else the local one), migrates it, loads members and contracts with COPY, then bills
one month with the same code the worker's scheduled job runs. Every contract is
its own member's only contract of its service, so one invoice is issued per contract.

``--via-api`` bills the month the way ops do (R39): it starts billing's API and worker
as processes of their own (on free ports, their own queue names), ``POST``s the run
(answered 202 at once), polls ``GET /runs/{id}`` every second while the worker
executes it, and reports the POST's latency, the progress seen while it ran, and the
peak RSS of the worker (the process that bills) and of the API.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import sys
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


#: The columns loaded (later migrations may add columns with defaults).
ACCOUNT_COLUMNS = (
    "id", "member_id", "member_version", "entity_type", "name", "organization_name",
    "department", "postal_code", "address", "payment_method", "consolidated_mailing",
    "version", "created_at", "updated_at",
)  # fmt: skip
SUBSCRIPTION_COLUMNS = (
    "contract_id", "member_id", "service_id", "service_name", "plan_name", "quantity",
    "monthly_fee", "initial_fee", "free_first_month", "allows_account_transfer", "start_date",
    "end_date", "early_termination_fee", "contract_version", "created_at",
)  # fmt: skip


def member_id(seed: bytes, number: int) -> uuid.UUID:
    """The ``number``-th member of a load: derived, not stored, so that a million
    contracts cost the loader no more memory than ten thousand; a hash, so that the
    ids are in no order, as random v4 ids are (sequential ones would fill the indexes
    at their right edge only, cheaper than the real thing)."""
    digest = hashlib.blake2b(number.to_bytes(8, "big"), key=seed, digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


async def load(dsn: str, contracts: int, end: date | None = None) -> None:
    """COPY ``contracts`` members' accounts and one active contract each, rows made
    as COPY takes them (generators): the peak RSS the benchmark reports stays the
    billing run's, whatever the number of contracts."""
    now = datetime.now(UTC)
    name = json.dumps({"ja": "光回線", "en": "Fiber"})
    plan = json.dumps({"ja": "スタンダード", "en": "Standard"})
    seed = os.urandom(16)
    services = [uuid.uuid4() for _ in range(8)]
    accounts = (
        (
            uuid.uuid4(),
            member_id(seed, i),
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
        for i in range(contracts)
    )
    subscriptions = (
        (
            uuid.uuid4(),
            member_id(seed, i),
            services[i % 8],
            name,
            plan,
            1 + i % 5,
            3000,
            5000,
            False,
            True,
            date(2026, 3, 1 + i % 28),
            end,
            0,
            1,
            now,
        )
        for i in range(contracts)
    )
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "billing_account", columns=ACCOUNT_COLUMNS, records=accounts
        )
        await conn.copy_records_to_table(
            "billing_subscription", columns=SUBSCRIPTION_COLUMNS, records=subscriptions
        )
        # As autovacuum would after a bulk load: the run's plans see the table's size.
        await conn.execute("ANALYZE billing_account")
        await conn.execute("ANALYZE billing_subscription")
    finally:
        await conn.close()


async def main(contracts: int, batch: int, server: str) -> None:
    database = f"bizmall_billing_bench_{os.getpid()}"
    url = server.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{database}"
    settings = Settings(database_url=url, run_batch_size=batch)
    await ensure_database(url)
    try:
        await asyncio.to_thread(upgrade, settings, "billing")
        loading = time.perf_counter()
        await load(f"{server}/{database}", contracts)
        loaded = time.perf_counter() - loading
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
        print(f"load time:        {loaded:.2f} s (COPY and ANALYZE)")
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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_rss_of(pid: int) -> float:
    """A child's peak resident set size (``VmHWM``), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def via_api(contracts: int, batch: int, server: str) -> None:
    """Bill one month through ``POST /runs`` with billing's API and worker processes."""
    import aiohttp

    from servicekit.testing.tokens import TokenIssuer

    database = f"bizmall_billing_bench_{os.getpid()}"
    url = server.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{database}"
    settings = Settings(database_url=url, run_batch_size=batch)
    await ensure_database(url)
    issuer = TokenIssuer()
    await issuer.start()
    port = _free_port()
    tag = f"bench{os.getpid()}"
    env = {
        **os.environ,
        # A benchmark on this machine: the local-mode keys and issuer are fine (R40).
        "BIZMALL_LOCAL_MODE": "1",
        "BILLING_DATABASE_URL": url,
        "BILLING_RUN_BATCH_SIZE": str(batch),
        "BILLING_JWKS_URL": issuer.jwks_url,
        "BILLING_PORT": str(port),
        "BILLING_WORKER_METRICS_PORT": str(_free_port()),
        "BILLING_QUEUE_PREFIX": tag,
        "BILLING_EVENT_EXCHANGE": f"{tag}.events",
        "BILLING_REDIS_NAMESPACE": tag,
        "BILLING_RUN_POLL_SECONDS": "1",
        "BILLING_LOG_LEVEL": "WARNING",
    }
    processes: list[asyncio.subprocess.Process] = []
    try:
        await asyncio.to_thread(upgrade, settings, "billing")
        # Contracts of March only: the worker's catch-up finds later months empty.
        await load(f"{server}/{database}", contracts, end=date(2026, 3, 31))
        base = f"http://127.0.0.1:{port}/api/v1/ops/billing/runs"

        async def spawn(role: str) -> asyncio.subprocess.Process:
            # Its output goes to a log file beside the database's name, for a failed start.
            log = open(f"/tmp/{database}-{role}.log", "wb")  # noqa: ASYNC230
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "billing", role, env=env, stdout=log, stderr=log
            )
            processes.append(process)
            return process

        api = await spawn("api")
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as probe:
                        if probe.status < 500:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            ops = issuer.ops("bench-ops")
            # The run is queued before the worker starts, so the worker's own catch-up of
            # March finds it queued and leaves it to this run.
            posted = time.perf_counter()
            async with http.post(base, json={"month": "2026-03"}, headers=ops) as response:
                answer = await response.json()
                assert response.status == 202, answer
            post_seconds = time.perf_counter() - posted
            worker = await spawn("worker")
            started = time.perf_counter()
            seen: list[tuple[float, int]] = []
            errors: dict[int, int] = {}
            while True:
                await asyncio.sleep(1)
                async with http.get(f"{base}/{answer['id']}", headers=ops) as response:
                    if response.status != 200:
                        errors[response.status] = errors.get(response.status, 0) + 1
                        continue
                    run = await response.json()
                if run["status"] == "running":
                    seen.append((time.perf_counter() - started, run["contracts_done"]))
                if run["status"] in ("done", "failed"):
                    break
            elapsed = time.perf_counter() - started
            worker_rss, api_rss = _peak_rss_of(worker.pid), _peak_rss_of(api.pid)
        from datetime import datetime as _dt

        ran = _dt.fromisoformat(run["finished_at"]) - _dt.fromisoformat(run["started_at"])
        seconds = ran.total_seconds()
        distinct = sorted({done for _, done in seen})
        print(f"contracts:        {contracts}")
        print(f"run status:       {run['status']} (failed groups: {len(run['failed_groups'])})")
        print(f"invoices issued:  {run['invoices_issued']}")
        print(f"POST /runs:       202 in {post_seconds * 1000:.0f} ms")
        print(
            f"run time:         {seconds:.2f} s in the worker (batch {batch}); "
            f"{elapsed:.1f} s from the worker's start to done seen by polling"
        )
        print(f"invoices/s:       {run['invoices_issued'] / seconds:.0f}")
        print(
            f"progress seen:    {len(seen)} polls while running, {len(distinct)} distinct "
            f"contracts_done values (first {distinct[:1]}, last {distinct[-1:]}), "
            f"non-200 polls: {errors or 'none'}"
        )
        print(f"peak RSS:         {worker_rss:.0f} MB worker, {api_rss:.0f} MB API")
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=20)
                except TimeoutError:
                    process.kill()
        await issuer.stop()
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
    parser.add_argument(
        "--via-api",
        action="store_true",
        help="start billing's API and worker and bill through POST /runs (R39)",
    )
    arguments = parser.parse_args()
    run = via_api if arguments.via_api else main
    asyncio.run(run(arguments.contracts, arguments.batch, server_of(arguments.server)))
