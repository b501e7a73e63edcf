"""The pool's one-round-trip ping (issue 20): cheaper, and still survives a dead connection.

``servicekit.db.create_engine`` replaces SQLAlchemy's asyncpg ping (BEGIN, ``;``,
ROLLBACK) with a bare ``;``. These tests hold it to what the ping is for: a pooled
connection the server has closed is noticed on checkout and replaced, so the caller's
statement runs; and a checkout of a live connection costs one statement, not three.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from servicekit.db import create_engine
from servicekit.testing.infra import libpq_dsn

pytestmark = pytest.mark.integration


async def test_a_connection_the_server_closed_is_replaced_on_checkout(infra: Any) -> None:
    url = await infra.create_database("ping")
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            pid = (await connection.execute(text("select pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(libpq_dsn(infra.postgres_dsn))
        try:
            assert await admin.fetchval("select pg_terminate_backend($1)", pid) is True
        finally:
            await admin.close()
        async with engine.connect() as connection:
            new_pid = (await connection.execute(text("select pg_backend_pid()"))).scalar_one()
        assert new_pid != pid
    finally:
        await engine.dispose()


async def test_a_checkout_pings_with_one_statement(infra: Any) -> None:
    url = await infra.create_database("ping")
    engine = create_engine(url, pool_size=1)
    sent: list[str] = []
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            # Every statement asyncpg sends on the one pooled connection from now on.
            raw.driver_connection.add_query_logger(lambda record: sent.append(record.query))
        async with engine.connect() as connection:
            await connection.execute(text("select 2"))
    finally:
        await engine.dispose()
    # The checkout's ping is the bare ";", then the caller's own transaction begins
    # (SQLAlchemy's own ping would have sent BEGIN; ; ROLLBACK; first).
    assert sent[:2] == [";", "BEGIN;"]
