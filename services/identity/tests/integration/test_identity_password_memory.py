"""Hashing memory: argon2's 19 MiB buffer per hash goes back to the system (issue 9).

Each case runs in a fresh interpreter, so its allocator starts untouched by the
rest of the suite: twelve verifications spread over six threads (as many as
asyncio's default executor has on two cores; identity's own hashing pool has one
per core, but a larger machine has more), then the process's resident memory.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import asyncio, json, sys
from concurrent.futures import ThreadPoolExecutor
import psutil
from identity.config import Settings
from identity.adapters import passwords

if sys.argv[1] == "default-allocator":
    passwords.return_hash_memory_to_the_system = lambda: False
six_threads = ThreadPoolExecutor(max_workers=6)
passwords.hashing_threads = lambda: six_threads
service = passwords.Passwords(Settings())
stored = service.hasher.hash("a-password-of-some-length")

async def main():
    before = psutil.Process().memory_info().rss
    for _ in range(3):
        results = await asyncio.gather(
            *(service.verify(stored, "a-password-of-some-length") for _ in range(12))
        )
        assert all(results)
    after = psutil.Process().memory_info().rss
    print(json.dumps({"growth_mib": (after - before) / 2**20,
                      "threads": six_threads._max_workers}))

asyncio.run(main())
"""


def _growth(mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_hash_buffers_are_not_kept_per_thread() -> None:
    """With the setting, six hashing threads leave less than two buffers behind."""
    from identity.adapters.passwords import return_hash_memory_to_the_system

    if not return_hash_memory_to_the_system():
        pytest.skip("the C library has no mallopt (not glibc): the default allocator stays")
    kept = _growth("returned")
    assert kept["growth_mib"] < 2 * 19, kept


def test_without_the_setting_each_thread_keeps_a_buffer() -> None:
    """The control: glibc's defaults keep about one 19 MiB buffer per thread that hashed,
    which is what the setting is for (if this ever fails, the setting may be moot)."""
    from identity.adapters.passwords import return_hash_memory_to_the_system

    if not return_hash_memory_to_the_system():
        pytest.skip("the C library has no mallopt (not glibc)")
    kept = _growth("default-allocator")
    assert kept["threads"] >= 3, kept
    assert kept["growth_mib"] > 2 * 19, kept
