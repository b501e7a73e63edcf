"""A constant least answer time for requests whose work depends on whether an address
is a member's (password reset, verification resend): R10's "the answer never reveals
whether an email is registered" applies to the time it takes as well (issue 19 item 4)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class AnswerFloor:
    """``async with floor.held():`` ends no sooner than ``seconds`` after it began,
    whatever happened inside (an error included)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            remaining = started + self.seconds - time.monotonic()
            if remaining > 0:
                await asyncio.sleep(remaining)
