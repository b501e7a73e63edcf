"""pytest plugin: the ``infra`` and ``smtp_sink`` fixtures (see ``servicekit.testing.infra``).

A test run is local mode (R40): the processes the tests start (``python -m <app> ...``
with this environment) may use the built-in keys and issuer. A test of the refusal
outside local mode removes the variable from its process's environment.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest_asyncio

from servicekit.settings import LOCAL_MODE_VARIABLE
from servicekit.testing.infra import Infra, discover
from servicekit.testing.smtp import SmtpSink
from servicekit.testing.tokens import TokenIssuer

os.environ.setdefault(LOCAL_MODE_VARIABLE, "1")


@pytest_asyncio.fixture(scope="session")
async def infra() -> AsyncIterator[Infra]:
    """Real PostgreSQL, RabbitMQ and Redis, isolated for this test run."""
    found = discover()
    try:
        yield found
    finally:
        await found.cleanup()


@pytest_asyncio.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    """A real SMTP server on a free local port, for one test.

    Async so that it starts inside the tests' event loop (its arrival signal belongs
    to that loop), whatever an earlier test left as the thread's current loop.
    """
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest_asyncio.fixture(scope="session")
async def token_issuer() -> AsyncIterator[TokenIssuer]:
    """Signs access tokens like identity and serves the matching JWKS."""
    issuer = TokenIssuer()
    await issuer.start()
    try:
        yield issuer
    finally:
        await issuer.stop()
