"""Small async helpers for tests that wait on real, asynchronous outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (or fail after ``timeout`` s)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        await asyncio.sleep(0.1)


async def drain_queue(queue: aio_pika.abc.AbstractQueue, *, settle: float = 1.0) -> list[bytes]:
    """Every message in ``queue``, waiting until none arrived for ``settle`` s."""
    bodies: list[bytes] = []
    quiet_since = asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - quiet_since < settle:
        message = await queue.get(no_ack=True, fail=False)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        bodies.append(message.body)
        quiet_since = asyncio.get_running_loop().time()
    return bodies
