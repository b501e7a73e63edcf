"""R34: every service's audit trail, read by ops filtered by member, actor, entity and
period, paged newest first, downloaded as CSV; the table refuses changes.

The probe service's app on a real PostgreSQL database, its ``audit_log`` migrated the
way every service's R34 revision does it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from servicekit import audit
from servicekit.audit import APPEND_ONLY_DDL, AuditFilter, audit_csv
from servicekit.auth import JWKSVerifier
from servicekit.db import create_engine
from servicekit.openapi import document_problems
from servicekit.ops import audit_log_router
from servicekit.runtime import Runtime
from servicekit.testing.audit import (
    audit_log_path,
    outsiders_statuses,
    read_audit_csv,
    read_audit_log,
    refused_changes,
)
from servicekit.testing.probe import ProbeSettings, create_tables
from servicekit.testing.tokens import TokenIssuer
from servicekit.web import create_service_app

SERVICE = "kitprobe"
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
MEMBER = uuid.UUID("6f1c0d1e-8e54-4f0e-9a51-3c7d2b1a0e01")
OTHER = uuid.UUID("6f1c0d1e-8e54-4f0e-9a51-3c7d2b1a0e02")


@dataclass
class Trail:
    client: httpx.AsyncClient
    runtime: Runtime
    tokens: TokenIssuer

    async def record(self, at: datetime, **entry: Any) -> None:
        self.runtime.clock.pin(at)
        async with self.runtime.uow() as uow:
            uow.audit(**entry)
            await uow.commit()

    async def read(self, **filters: Any) -> list[dict[str, Any]]:
        return await read_audit_log(self.client, SERVICE, self.tokens.ops(), **filters)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def trail(infra: Any, token_issuer: TokenIssuer) -> AsyncIterator[Trail]:
    settings = await infra.service_settings(ProbeSettings, jwks_url=token_issuer.jwks_url)
    runtime = Runtime.build(settings)
    await create_tables(runtime)
    async with runtime.engine.begin() as conn:
        for statement in APPEND_ONLY_DDL:
            await conn.execute(sa.text(statement))
    app = create_service_app(
        settings=settings, title="probe", routers=[audit_log_router(SERVICE)], readiness={}
    )
    document_problems(app)
    app.state.runtime = runtime
    app.state.jwks_verifier = JWKSVerifier(token_issuer.jwks_url)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            trail = Trail(client, runtime, token_issuer)
            await trail.record(
                T0,
                actor="ops-1",
                action="order.accept",
                target="o-1",
                member_id=MEMBER,
                note="first",
            )
            await trail.record(
                T0 + timedelta(hours=1),
                actor=str(MEMBER),
                action="member.login",
                target=f"member:{MEMBER}",
                member_id=str(MEMBER),
            )
            await trail.record(
                T0 + timedelta(hours=2),
                actor="ops-2",
                action="billing.invoice.payment_recorded",
                target="i-1",
                member_id=OTHER,
                amount=3300,
            )
            await trail.record(
                T0 + timedelta(hours=3),
                actor="ops-1",
                action="catalog.plan.added",
                target="s-1",
                entity="service",
                plan="basic",
            )
            yield trail
    finally:
        await app.state.jwks_verifier.close()
        await runtime.close()


async def test_r34_the_trail_reads_newest_first_with_entity_member_and_summary(
    trail: Trail,
) -> None:
    rows = await trail.read()
    assert [row["action"] for row in rows] == [
        "catalog.plan.added",
        "billing.invoice.payment_recorded",
        "member.login",
        "order.accept",
    ]
    assert [row["entity"] for row in rows] == ["service", "invoice", "member", "order"]
    oldest = rows[-1]
    assert (oldest["actor"], oldest["target"], oldest["member_id"]) == ("ops-1", "o-1", str(MEMBER))
    assert oldest["details"] == {"note": "first"} and oldest["service"] == SERVICE
    assert rows[0]["member_id"] is None


async def test_r34_filters_by_member_actor_entity_and_period(trail: Trail) -> None:
    def actions(rows: list[dict[str, Any]]) -> list[str]:
        return [row["action"] for row in rows]

    assert actions(await trail.read(member_id=MEMBER)) == ["member.login", "order.accept"]
    assert actions(await trail.read(actor_id="ops-1")) == ["catalog.plan.added", "order.accept"]
    assert actions(await trail.read(entity="invoice")) == ["billing.invoice.payment_recorded"]
    since, until = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    assert actions(await trail.read(since=since.isoformat(), until=until.isoformat())) == [
        "billing.invoice.payment_recorded",
        "member.login",
    ]
    # 2026-04-01 11:00 UTC, written in Japan time.
    jst = (T0 + timedelta(hours=2)).astimezone(timezone(timedelta(hours=9))).isoformat()
    assert actions(await trail.read(actor_id="ops-1", since=jst)) == ["catalog.plan.added"]


async def test_r34_pages_follow_next_cursor_without_gaps_or_repeats(trail: Trail) -> None:
    first = await trail.client.get(
        audit_log_path(SERVICE), params={"limit": 3}, headers=trail.tokens.ops()
    )
    assert first.status_code == 200
    assert len(first.json()["items"]) == 3 and first.json()["next_cursor"]
    rest = await trail.client.get(
        audit_log_path(SERVICE),
        params={"limit": 3, "cursor": first.json()["next_cursor"]},
        headers=trail.tokens.ops(),
    )
    assert [r["action"] for r in rest.json()["items"]] == ["order.accept"]
    assert rest.json()["next_cursor"] is None
    everything = await read_audit_log(trail.client, SERVICE, trail.tokens.ops(), limit=1)
    assert len({row["id"] for row in everything}) == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-04-01T09:00:00"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"member_id": "not-a-uuid"}, "member_id"),
        ({"entity": "Order; DROP"}, "entity"),
        ({"actor_id": "ops\u0000-1"}, "actor_id"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since"),
        ({"limit": "201"}, "limit"),
        ({"since": "2026-04-02T00:00:00Z", "until": "2026-04-01T00:00:00Z"}, "since"),
    ],
)
async def test_r34_bad_filters_are_422_problems_naming_the_field(
    trail: Trail, params: dict[str, str], field: str
) -> None:
    answer = await trail.client.get(
        audit_log_path(SERVICE), params=params, headers=trail.tokens.ops()
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in answer.json()["errors"]] == [f"query.{field}"]


async def test_r34_an_unknown_cursor_is_a_422_problem(trail: Trail) -> None:
    answer = await trail.client.get(
        audit_log_path(SERVICE), params={"cursor": "bm9wZQ"}, headers=trail.tokens.ops()
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "request.invalid_cursor")


async def test_r34_the_csv_download_has_a_bom_the_header_and_the_filtered_rows(
    trail: Trail,
) -> None:
    rows = await read_audit_csv(trail.client, SERVICE, trail.tokens.ops(), member_id=MEMBER)
    assert [(row["action"], row["entity"], row["member_id"]) for row in rows] == [
        ("member.login", "member", str(MEMBER)),
        ("order.accept", "order", str(MEMBER)),
    ]
    assert rows[1]["details"] == '{"note": "first"}' and rows[1]["service"] == SERVICE
    assert datetime.fromisoformat(rows[1]["at"]) == T0
    everything = await read_audit_csv(trail.client, SERVICE, trail.tokens.ops())
    assert len(everything) == 4


async def test_r34_the_csv_is_streamed_in_chunks_of_rows(
    trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "CSV_CHUNK_ROWS", 1)
    chunks = [
        chunk
        async for chunk in audit_csv(
            trail.runtime.sessions, service=SERVICE, found=AuditFilter(member_id=MEMBER)
        )
    ]
    # The header, then one chunk per fetched batch of rows.
    assert len(chunks) == 3
    assert chunks[0].startswith("\ufeff".encode()) and chunks[1].count(b"\r\n") == 1


async def test_r34_the_database_refuses_update_delete_and_truncate_of_audit_rows(
    trail: Trail,
) -> None:
    [row, *_] = await trail.read(member_id=MEMBER)
    assert await refused_changes(trail.runtime.sessions, row["id"]) == [
        "UPDATE",
        "DELETE",
        "TRUNCATE",
    ]
    [again, *_] = await trail.read(member_id=MEMBER)
    assert again == row


async def test_r34_members_and_anonymous_callers_never_read_the_trail(trail: Trail) -> None:
    assert await outsiders_statuses(trail.client, SERVICE, trail.tokens.member()) == (401, 403)


async def test_r34_the_openapi_documents_the_trail_its_csv_and_its_problems(
    trail: Trail,
) -> None:
    document = (await trail.client.get("/openapi.json")).json()
    operation = document["paths"][audit_log_path(SERVICE)]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "member_id",
        "actor_id",
        "entity",
        "since",
        "until",
        "limit",
        "cursor",
    }
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert "details" in operation["responses"]["200"]["description"]
    for status in ("401", "403", "422", "503"):
        assert "application/problem+json" in operation["responses"][status]["content"]
    schema = document["components"]["schemas"]["AuditLogEntry"]
    assert {"actor", "entity", "member_id", "target", "details", "at"} <= set(schema["properties"])


async def test_r34_rows_written_before_the_migration_get_their_entity_and_member(
    infra: Any,
) -> None:
    engine = create_engine(await infra.create_database("audit_upgrade"))
    try:
        async with engine.begin() as conn:
            # audit_log as the platform revision created it before R34.
            await conn.execute(
                sa.text(
                    "CREATE TABLE audit_log (id uuid PRIMARY KEY, actor varchar(200) NOT NULL,"
                    " action varchar(200) NOT NULL, target varchar(200) NOT NULL,"
                    " details jsonb NOT NULL, request_id varchar(100),"
                    " at timestamptz NOT NULL)"
                )
            )
            await conn.execute(sa.text("CREATE INDEX ix_audit_log_actor ON audit_log (actor)"))
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_log VALUES"
                    " (gen_random_uuid(), 'ops-1', 'contract.cancel', 'c-1',"
                    f' \'{{"member_id": "{MEMBER}", "reason": "移転"}}\', NULL, now()),'
                    " (gen_random_uuid(), 'cli', 'seeded', 'x', '{\"member_id\": \"nope\"}',"
                    " NULL, now())"
                )
            )
        async with engine.begin() as conn:
            for statement in APPEND_ONLY_DDL:
                await conn.execute(sa.text(statement))
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text("SELECT action, entity, member_id FROM audit_log ORDER BY action")
                )
            ).all()
            indexes = set(
                (
                    await conn.execute(
                        sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log'")
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("contract.cancel", "contract", MEMBER),
        ("seeded", "seeded", None),
    ]
    assert {
        "ix_audit_log_at",
        "ix_audit_log_member_id_at",
        "ix_audit_log_actor_at",
        "ix_audit_log_entity_at",
    } <= indexes
    assert "ix_audit_log_actor" not in indexes
