"""Password hashing with argon2id at OWASP's recommended cost or above."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from identity.config import Settings


class Passwords:
    """Hash and verify passwords off the event loop (argon2 is CPU-bound)."""

    def __init__(self, settings: Settings) -> None:
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
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored`` (a dummy hash when None: same cost)."""
        try:
            return await asyncio.to_thread(self.hasher.verify, stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than the current ones."""
        return self.hasher.check_needs_rehash(stored)
