"""Issue 20: argon2id runs on one thread per core of its own, not on asyncio's default
executor (four threads more than the cores), so concurrent logins never keep more
hashes in flight than the cores can run."""

from __future__ import annotations

import asyncio
import os
import threading

from identity.adapters.passwords import Passwords, hashing_threads
from identity.config import Settings


async def test_issue20_hashes_run_on_one_thread_per_core() -> None:
    # The cheapest parameters argon2 accepts: this test is about threads, not cost.
    passwords = Passwords(Settings(argon2_memory_kib=64, argon2_time_cost=1))
    stored = await passwords.hash("correct horse battery 42")
    results = await asyncio.gather(
        *(passwords.verify(stored, "correct horse battery 42") for _ in range(12))
    )
    assert all(results)
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    hashing = [t for t in threading.enumerate() if t.name.startswith("argon2id")]
    assert 1 <= len(hashing) <= cores == hashing_threads()._max_workers
