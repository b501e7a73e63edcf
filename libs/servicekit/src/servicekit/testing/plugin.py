"""pytest plugin: the ``infra`` and ``smtp_sink`` fixtures (see ``servicekit.testing.infra``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from servicekit.testing.infra import Infra, discover
from servicekit.testing.smtp import SmtpSink
from servicekit.testing.tokens import TokenIssuer


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
