"""Reading a service's audit trail (R34) the way ops do, for every service's tests."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.audit import CSV_COLUMNS


def audit_log_path(service: str) -> str:
    """The ops path of ``service``'s audit trail."""
    return f"/api/v1/ops/{service}/audit-log"


async def read_audit_log(
    client: httpx.AsyncClient, service: str, headers: dict[str, str], **filters: Any
) -> list[dict[str, Any]]:
    """Every row ``filters`` match, page after page through ``next_cursor``."""
    rows: list[dict[str, Any]] = []
    params = {key: str(value) for key, value in filters.items() if value is not None}
    while True:
        answer = await client.get(audit_log_path(service), params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["items"]
        if body["next_cursor"] is None:
            return rows
        params["cursor"] = body["next_cursor"]


async def read_audit_csv(
    client: httpx.AsyncClient, service: str, headers: dict[str, str], **filters: Any
) -> list[dict[str, str]]:
    """The CSV download of the rows ``filters`` match, checked (BOM, header) and parsed."""
    params = {key: str(value) for key, value in filters.items() if value is not None}
    answer = await client.get(
        audit_log_path(service), params=params, headers={**headers, "Accept": "text/csv"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    reader = csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


async def refused_changes(sessions: async_sessionmaker[AsyncSession], row_id: str) -> list[str]:
    """Try UPDATE, DELETE and TRUNCATE on the audit row ``row_id``; the ones the
    database refused (each in its own transaction)."""
    refused = []
    statements = {
        "UPDATE": "UPDATE audit_log SET details = '{}'::jsonb WHERE id = :id",
        "DELETE": "DELETE FROM audit_log WHERE id = :id",
        "TRUNCATE": "TRUNCATE audit_log",
    }
    for name, statement in statements.items():
        async with sessions() as session:
            try:
                params = {} if name == "TRUNCATE" else {"id": uuid.UUID(row_id)}
                await session.execute(sa.text(statement), params)
                await session.commit()
            except DBAPIError as error:
                assert "append-only" in str(error)
                refused.append(name)
    return refused


async def outsiders_statuses(
    client: httpx.AsyncClient, service: str, member_headers: dict[str, str]
) -> tuple[int, int]:
    """The statuses of the audit trail for an anonymous caller and for a member (never
    any rows)."""
    anonymous = await client.get(audit_log_path(service))
    member = await client.get(
        audit_log_path(service), headers={**member_headers, "Accept": "text/csv"}
    )
    for answer in (anonymous, member):
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "items" not in answer.json()
    return anonymous.status_code, member.status_code


async def check_audit_trail(
    client: httpx.AsyncClient,
    service: str,
    *,
    ops: dict[str, str],
    member: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    action: str,
    actor: str,
    entity: str,
    member_id: str | None = None,
) -> dict[str, Any]:
    """R34 for one audited action: the row is found by ops through each filter and in
    the CSV download, the database refuses to change it, members and anonymous callers
    are refused. Returns the row."""
    by_actor = await read_audit_log(client, service, ops, actor_id=actor, entity=entity)
    [row, *_] = [found for found in by_actor if found["action"] == action]
    assert (row["actor"], row["entity"], row["member_id"]) == (actor, entity, member_id)
    at = datetime.fromisoformat(row["at"])
    period = {"since": at.isoformat(), "until": (at + timedelta(microseconds=1)).isoformat()}
    assert row in await read_audit_log(client, service, ops, **period)
    assert row not in await read_audit_log(client, service, ops, until=at.isoformat())
    assert row not in await read_audit_log(client, service, ops, entity="no_such_entity")
    if member_id is not None:
        assert row in await read_audit_log(client, service, ops, member_id=member_id)
        assert row not in await read_audit_log(client, service, ops, member_id=uuid.uuid4())
    [line] = [
        line
        for line in await read_audit_csv(client, service, ops, actor_id=actor, **period)
        if line["id"] == row["id"]
    ]
    assert (line["action"], line["member_id"], line["service"]) == (
        action,
        member_id or "",
        service,
    )
    assert await refused_changes(sessions, row["id"]) == ["UPDATE", "DELETE", "TRUNCATE"]
    assert await outsiders_statuses(client, service, member) == (401, 403)
    return row
