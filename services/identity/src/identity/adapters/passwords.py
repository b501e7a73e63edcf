"""Password hashing with argon2id at OWASP's recommended cost or above."""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from identity.config import Settings

#: glibc's ``mallopt`` parameter number of M_MMAP_THRESHOLD (malloc.h).
_M_MMAP_THRESHOLD = -3
#: Allocations from this size up get pages of their own, handed back on free.
MMAP_THRESHOLD_BYTES = 1 << 20


@functools.cache
def return_hash_memory_to_the_system() -> bool:
    """Make argon2's per-hash buffer (``argon2_memory_kib``, 19 MiB) memory the
    process hands back after each hash; True when the C library took the setting.

    glibc raises its mmap threshold after the first large block is freed, so
    every later hash buffer comes from the hashing thread's malloc arena and
    stays there: with asyncio's default executor (up to 6 threads on 2 cores)
    an identity API grew from 122 MB to 240 MB under the login benchmark, one
    retained 19 MiB buffer per thread (profiled in the issue 9 note). A fixed
    threshold turns that dynamic rise off; the price is mapping the pages anew
    per hash, about 1-3% of a hash's time on the benchmark machine.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): keep the default
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


@functools.cache
def hashing_threads() -> ThreadPoolExecutor:
    """The process's argon2id threads: one per core it may run on.

    asyncio's default executor has four threads more than the cores (six on the
    benchmark's two), and ten concurrent logins kept six 19 MiB hashes in flight on
    two cores: each time slice evicted another hash's memory from the caches, and a
    hash took about 5% more CPU than with one thread per core (issue 20). More
    threads cannot hash faster than the cores do; the queue waits in the loop.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return ThreadPoolExecutor(max_workers=cores or 1, thread_name_prefix="argon2id")


class Passwords:
    """Hash and verify passwords off the event loop (argon2 is CPU-bound)."""

    def __init__(self, settings: Settings) -> None:
        return_hash_memory_to_the_system()
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        #: Verified against when no account matches, so timing does not tell (R10).
        self._dummy = self.hasher.hash("no-such-account-placeholder")

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(hashing_threads(), self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored`` (a dummy hash when None: same cost)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                hashing_threads(), self.hasher.verify, stored or self._dummy, password
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than the current ones."""
        return self.hasher.check_needs_rehash(stored)
