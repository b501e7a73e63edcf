"""The audit trail (SPEC R29, R34): who did what to which entity, when — written with
the change it records, never changed afterwards, read by ops filtered and as CSV.

Every service keeps its own ``audit_log`` table. The unit of work writes the rows
(:meth:`servicekit.uow.BaseUnitOfWork.audit`); a trigger refuses UPDATE, DELETE and
TRUNCATE on the table (:data:`APPEND_ONLY_DDL`, installed by each service's
migration through :func:`servicekit.migrations.extend_audit_log`); ops read it at
``/api/v1/ops/<service>/audit-log`` (:func:`servicekit.ops.audit_log_router`).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as ModelField
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Column, Field, SQLModel

from servicekit.clock import system_clock
from servicekit.errors import Invalid
from servicekit.pagination import Page, after_cursor, page_of


class AuditRecord(SQLModel, table=True):
    """One audited action."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # Newest first, overall and per member, actor or entity (R34's filters).
        sa.Index("ix_audit_log_at", "at", "id"),
        sa.Index("ix_audit_log_member_id_at", "member_id", "at", "id"),
        sa.Index("ix_audit_log_actor_at", "actor", "at", "id"),
        sa.Index("ix_audit_log_entity_at", "entity", "at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    #: Who: an operator's or member's subject, ``system``, ``cli`` or ``seed``.
    actor: str = Field(max_length=200)
    action: str = Field(max_length=200, index=True)
    #: The kind of thing acted on (``order``, ``contract``, ``member``, ...).
    entity: str = Field(max_length=50)
    #: The id of the thing acted on.
    target: str = Field(max_length=200)
    #: The member the action concerns, when there is one.
    member_id: uuid.UUID | None = Field(default=None, nullable=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    request_id: str | None = Field(default=None, max_length=100)
    at: datetime = Field(
        default_factory=system_clock, sa_column=Column(sa.DateTime(timezone=True), nullable=False)
    )


def entity_of(action: str) -> str:
    """The entity an action names: the segment before its last (``order.accept`` →
    ``order``, ``billing.invoice.payment_recorded`` → ``invoice``); an action without
    a dot is its own entity."""
    head, dot, _ = action.rpartition(".")
    return head.rpartition(".")[2] if dot else action


#: The trigger keeping the table append-only, and the columns and indexes R34's
#: filters need on tables created before them. Idempotent: a table created from
#: :class:`AuditRecord` already has the columns and indexes.
APPEND_ONLY_DDL: tuple[str, ...] = (
    "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS entity varchar(50)",
    "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS member_id uuid",
    # Rows written before: the entity from the action, the member from the details.
    "UPDATE audit_log SET entity = left(coalesce(substring(action from '([^.]+)\\.[^.]*$'),"
    " action), 50) WHERE entity IS NULL",
    "UPDATE audit_log SET member_id = (details->>'member_id')::uuid"
    " WHERE member_id IS NULL AND details->>'member_id'"
    " ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'",
    "ALTER TABLE audit_log ALTER COLUMN entity SET NOT NULL",
    "DROP INDEX IF EXISTS ix_audit_log_actor",
    "CREATE INDEX IF NOT EXISTS ix_audit_log_at ON audit_log (at, id)",
    "CREATE INDEX IF NOT EXISTS ix_audit_log_member_id_at ON audit_log (member_id, at, id)",
    "CREATE INDEX IF NOT EXISTS ix_audit_log_actor_at ON audit_log (actor, at, id)",
    "CREATE INDEX IF NOT EXISTS ix_audit_log_entity_at ON audit_log (entity, at, id)",
    """CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused on %', TG_OP, TG_TABLE_NAME;
END;
$$""",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()",
)

#: What :data:`APPEND_ONLY_DDL` added, removed again (the columns stay, optional: old
#: code ignores them, and dropping them would lose what they hold).
APPEND_ONLY_DOWNGRADE: tuple[str, ...] = (
    "ALTER TABLE audit_log ALTER COLUMN entity DROP NOT NULL",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_is_append_only()",
)


@dataclass(frozen=True)
class AuditFilter:
    """Which audit rows ops asked for; ``since`` is inclusive, ``until`` exclusive."""

    member_id: uuid.UUID | None = None
    actor_id: str | None = None
    entity: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is None:
                continue
            if moment.utcoffset() is None:
                raise Invalid(
                    "audit.naive_time",
                    ja=f"{name} にはタイムゾーン付きの日時を指定してください。",
                    en=f"{name} must carry a time zone offset.",
                    errors=[{"field": f"query.{name}", "code": "timezone_aware"}],
                )
            try:
                moment.astimezone(UTC)
            except OverflowError:
                # 0001-01-01T00:00+01:00 is before the first moment a database stores.
                raise Invalid(
                    "audit.time_out_of_range",
                    ja=f"{name} の日時が範囲外です。",
                    en=f"{name} is out of range.",
                    errors=[{"field": f"query.{name}", "code": "out_of_range"}],
                ) from None
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise Invalid(
                "audit.invalid_period",
                ja="期間の開始（since）は終了（until）より前にしてください。",
                en="since must be earlier than until.",
                errors=[{"field": "query.since", "code": "after_until"}],
            )

    def apply(self, statement: sa.Select[Any]) -> sa.Select[Any]:
        """``statement`` limited to the rows this filter matches."""
        table = AuditRecord.__table__.c  # type: ignore[attr-defined]
        if self.member_id is not None:
            statement = statement.where(table.member_id == self.member_id)
        if self.actor_id is not None:
            statement = statement.where(table.actor == self.actor_id)
        if self.entity is not None:
            statement = statement.where(table.entity == self.entity)
        if self.since is not None:
            statement = statement.where(table.at >= self.since)
        if self.until is not None:
            statement = statement.where(table.at < self.until)
        return statement


class AuditLogEntry(BaseModel):
    """One row of a service's audit trail, as ops read it."""

    id: uuid.UUID
    service: str = ModelField(description="The service whose database holds the row.")
    at: datetime
    actor: str = ModelField(
        description="The actor id: an operator's or member's subject, or `system`, `cli`, `seed`."
    )
    action: str = ModelField(description="What was done (`order.accept`, `member.login`).")
    entity: str = ModelField(description="The kind of thing acted on (`order`, `member`).")
    target: str = ModelField(description="The id of the thing acted on.")
    member_id: uuid.UUID | None = ModelField(description="The member the action concerns.")
    details: dict[str, Any] = ModelField(description="A summary of the change.")
    request_id: str | None = ModelField(description="The request that did it, if any.")


class AuditLogPage(BaseModel):
    """A page of the audit trail, newest first; ``next_cursor`` continues it."""

    items: list[AuditLogEntry]
    next_cursor: str | None


def _columns() -> list[Any]:
    table = AuditRecord.__table__.c  # type: ignore[attr-defined]
    return [table.at, table.id]


def _entry(service: str, row: Any) -> AuditLogEntry:
    return AuditLogEntry(
        id=row.id,
        service=service,
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        target=row.target,
        member_id=row.member_id,
        details=row.details,
        request_id=row.request_id,
    )


def _selection(found: AuditFilter, cursor: str | None = None) -> sa.Select[Any]:
    table = AuditRecord.__table__  # type: ignore[attr-defined]
    return after_cursor(found.apply(sa.select(table)), _columns(), cursor, descending=True)


async def audit_page(
    session: AsyncSession, *, service: str, found: AuditFilter, limit: int, cursor: str | None
) -> Page[AuditLogEntry]:
    """A page of the rows ``found`` matches, newest first (an unknown cursor is refused)."""
    rows = (await session.execute(_selection(found, cursor).limit(limit + 1))).all()
    page = page_of(rows, limit=limit, key=lambda row: (row.at, row.id))
    return Page(items=[_entry(service, row) for row in page.items], next_cursor=page.next_cursor)


#: The CSV download's columns, in order (``details`` is the summary as JSON).
CSV_COLUMNS: tuple[str, ...] = (
    "at",
    "service",
    "actor",
    "action",
    "entity",
    "target",
    "member_id",
    "details",
    "request_id",
    "id",
)
#: Rows fetched from the database and written out per chunk of the download.
CSV_CHUNK_ROWS = 500
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    # A spreadsheet would run a cell starting like a formula (CSV injection).
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(service: str, rows: Iterable[Any]) -> str:
    """The CSV lines of ``rows`` (audit rows), in :data:`CSV_COLUMNS` order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        entry = _entry(service, row)
        values = entry.model_dump()
        values["details"] = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
        writer.writerow([_cell(values[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def csv_header() -> bytes:
    """The download's first bytes: the UTF-8 BOM (so spreadsheets read Japanese) and
    the header row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(CSV_COLUMNS)
    return "\ufeff".encode() + out.getvalue().encode()


async def audit_csv(
    sessions: async_sessionmaker[AsyncSession], *, service: str, found: AuditFilter
) -> AsyncIterator[bytes]:
    """The whole filtered trail as CSV, newest first, read through a server-side cursor
    and written :data:`CSV_CHUNK_ROWS` rows at a time (never all in memory)."""
    yield csv_header()
    async with sessions() as session:
        result = await session.stream(_selection(found).execution_options(yield_per=CSV_CHUNK_ROWS))
        async for chunk in result.partitions(CSV_CHUNK_ROWS):
            yield csv_lines(service, chunk).encode()
