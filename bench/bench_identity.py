"""Issue 3's benchmark: login cost against the bare argon2id cost on this machine.

1. The argon2id parameters identity uses (its ``Settings`` and ``Passwords``,
   so environment overrides count as they would for the service).
2. The bare rate of those parameters in this process: hash and verify on one
   thread, hash on two threads (argon2-cffi releases the GIL) and on two
   processes.
3. Login throughput through the gateway at 10 concurrent logins, each worker
   its own verified member; and the latency at 2 concurrent logins (p99).
4. login/s ÷ bare rate: the issue's target is at least 0.8 (the hash, not the
   service, is the cost); p99 at 2 concurrent logins under 150 ms.

    uv run python -m bench.bench_identity    # BENCH_SECONDS (15)
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import aiohttp
from argon2 import PasswordHasher

from bench.load import LoadResult, closed_loop
from bench.members import Member, log_in, verified_members
from bench.report import save, table
from bench.stack import Stack, local_stack
from identity.adapters.passwords import Passwords
from identity.config import Settings

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
HASH_SECONDS = float(os.environ.get("BENCH_HASH_SECONDS", "5"))
THROUGHPUT_CONCURRENCY = 10
LATENCY_CONCURRENCY = 2
TARGET_RATIO = 0.8
TARGET_P99_MS = 150.0


def identity_hasher() -> PasswordHasher:
    """The hasher identity builds from its settings."""
    return Passwords(Settings()).hasher


def _hash_for(seconds: float) -> int:
    # Runs in a worker thread or process: hashes done in ``seconds``.
    hasher = identity_hasher()
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        hasher.hash("bench-correct-horse-battery-42")
        done += 1
    return done


def _verify_for(seconds: float) -> int:
    hasher = identity_hasher()
    stored = hasher.hash("bench-correct-horse-battery-42")
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        hasher.verify(stored, "bench-correct-horse-battery-42")
        done += 1
    return done


def _rate(pool: Executor, job: Any, workers: int, seconds: float) -> float:
    started = time.perf_counter()
    counts = list(pool.map(job, [seconds] * workers))
    return round(sum(counts) / (time.perf_counter() - started), 2)


def bare_rates(seconds: float) -> dict[str, float]:
    """argon2id operations per second with identity's parameters, by configuration."""
    with ThreadPoolExecutor(2) as threads, ProcessPoolExecutor(2) as processes:
        _rate(processes, _hash_for, 2, 0.2)  # start the processes before timing them
        return {
            "hash, 1 thread": _rate(threads, _hash_for, 1, seconds),
            "verify, 1 thread": _rate(threads, _verify_for, 1, seconds),
            "hash, 2 threads": _rate(threads, _hash_for, 2, seconds),
            "hash, 2 processes": _rate(processes, _hash_for, 2, seconds),
        }


async def login_load(gateway: str, members: list[Member], concurrency: int) -> LoadResult:
    """Logins back to back, worker ``n`` as member ``n``, for :data:`SECONDS`."""
    url = f"{gateway}/api/v1/auth/login"

    async def login(session: aiohttp.ClientSession, number: int) -> int:
        async with session.post(url, json=members[number].credentials) as response:
            await response.read()
            return response.status

    return await closed_loop(login, connections=concurrency, seconds=SECONDS)


def _statuses(result: LoadResult) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(result.notes["statuses"].items()))


async def measure(stack: Stack) -> dict[str, Any]:
    """Measure, print and return issue 3's figures."""
    hasher = identity_hasher()
    parameters = {
        "type": "argon2id",
        "memory_kib": hasher.memory_cost,
        "time_cost": hasher.time_cost,
        "parallelism": hasher.parallelism,
        "hash_len": hasher.hash_len,
        "salt_len": hasher.salt_len,
    }
    gateway = stack.gateway_url
    members = await verified_members(gateway, stack.mail, THROUGHPUT_CONCURRENCY, "login")
    await log_in(gateway, members)  # warm-up: connections, JWKS, the hasher's first use
    # Bare rates with the stack up but idle, the same background the logins have.
    rates = await asyncio.to_thread(bare_rates, HASH_SECONDS)
    throughput = await login_load(gateway, members, THROUGHPUT_CONCURRENCY)
    latency = await login_load(gateway, members, LATENCY_CONCURRENCY)

    best = max(rates["hash, 2 threads"], rates["hash, 2 processes"])
    ratios = {
        "vs 1 thread": round(throughput.rps / rates["hash, 1 thread"], 2),
        "vs 2 threads/processes (machine)": round(throughput.rps / best, 2),
    }
    named = ", ".join(f"{k}={v}" for k, v in parameters.items() if k != "type")
    print(table(f"argon2id {named}", ["bare rate", "ops/s"], [list(r) for r in rates.items()]))
    header = ["concurrency", "logins/s", "p50 ms", "p99 ms", "requests", "errors", "answers"]
    rows = [
        [r.connections, r.rps, r.p50_ms, r.p99_ms, r.requests, r.errors, _statuses(r)]
        for r in (throughput, latency)
    ]
    print(table(f"\nlogin through the gateway, {SECONDS:g}s each", header, rows))
    targets = [[f"login/s ÷ bare rate {k}", v, f">= {TARGET_RATIO}"] for k, v in ratios.items()]
    p99_label = f"p99 at {LATENCY_CONCURRENCY} concurrent logins"
    targets.append([p99_label, latency.p99_ms, f"< {TARGET_P99_MS:g} ms"])
    print(table("\ntargets", ["figure", "value", "target"], targets))
    figures = {
        "argon2": parameters,
        "bare_rates_per_second": rates,
        "login_throughput": throughput.as_dict(),
        "login_latency": latency.as_dict(),
        "ratio_login_to_bare": ratios,
        "targets": {"ratio": TARGET_RATIO, "p99_ms_at_2": TARGET_P99_MS},
    }
    return figures


async def run() -> dict[str, Any]:
    """Start a stack of its own, measure on it and save."""
    async with local_stack() as stack:
        figures = await measure(stack)
    print(f"saved {save('identity', figures)}")
    return figures


if __name__ == "__main__":
    asyncio.run(run())
