"""R34: the audit trail's entity, filter and CSV rules, without a database."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from servicekit.audit import CSV_COLUMNS, AuditFilter, csv_header, csv_lines, entity_of
from servicekit.errors import Invalid
from servicekit.testing.fakes import FakeUnitOfWork

MEMBER = uuid.UUID("0b7e3a52-5f1e-4a57-9d52-4f3a2f1c9e10")


@pytest.mark.parametrize(
    ("action", "entity"),
    [
        ("order.accept", "order"),
        ("contract.cancel", "contract"),
        ("billing.invoice.payment_recorded", "invoice"),
        ("catalog.service.created", "service"),
        ("dead_letter.replayed", "dead_letter"),
        ("seeded", "seeded"),
    ],
)
def test_r34_the_entity_is_the_action_segment_before_the_verb(action: str, entity: str) -> None:
    assert entity_of(action) == entity


async def test_r34_audit_takes_entity_and_member_keeping_calls_without_them() -> None:
    uow = FakeUnitOfWork(now=datetime(2026, 4, 1, tzinfo=UTC))
    async with uow:
        uow.audit(actor="ops-1", action="order.accept", target="o-1")
        uow.audit(
            actor="ops-1",
            action="catalog.plan.added",
            target="s-1",
            entity="service",
            member_id=str(MEMBER),
            plan="basic",
        )
        await uow.commit()
    plain, explicit = uow.audit_log
    assert (plain.entity, plain.member_id, plain.details) == ("order", None, {})
    assert (explicit.entity, explicit.member_id, explicit.details) == (
        "service",
        MEMBER,
        {"plan": "basic"},
    )


def test_r34_a_period_must_start_before_it_ends() -> None:
    start = datetime(2026, 4, 2, tzinfo=UTC)
    with pytest.raises(Invalid) as refused:
        AuditFilter(since=start, until=start)
    assert refused.value.code == "audit.invalid_period"
    AuditFilter(since=start)
    AuditFilter(until=start)


def test_r34_a_period_without_an_offset_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        AuditFilter(until=datetime(2026, 4, 2))
    assert refused.value.code == "audit.naive_time"
    assert refused.value.errors == [{"field": "query.until", "code": "timezone_aware"}]


def test_r34_a_period_before_the_first_storable_moment_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        AuditFilter(since=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    assert refused.value.code == "audit.time_out_of_range"


def _row(**values: object) -> SimpleNamespace:
    defaults: dict[str, object] = {
        "id": uuid.uuid4(),
        "at": datetime(2026, 4, 1, 9, tzinfo=UTC),
        "actor": "ops-1",
        "action": "contract.cancel",
        "entity": "contract",
        "target": "c-1",
        "member_id": MEMBER,
        "details": {"reason": "移転のため", "fee": 5000},
        "request_id": None,
    }
    return SimpleNamespace(**{**defaults, **values})


def test_r34_csv_rows_hold_the_documented_columns_in_japanese_readable_utf8() -> None:
    header = csv_header()
    assert header.startswith("\ufeff".encode())
    text = header.decode("utf-8-sig") + csv_lines("ordering", [_row()])
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert tuple(row) == CSV_COLUMNS
    assert row["details"] == '{"fee": 5000, "reason": "移転のため"}'
    assert (row["service"], row["member_id"], row["request_id"]) == ("ordering", str(MEMBER), "")
    assert row["at"] == "2026-04-01T09:00:00+00:00"


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_r34_a_csv_cell_starting_like_a_formula_is_defused(start: str) -> None:
    text = csv_header().decode("utf-8-sig") + csv_lines("x", [_row(actor=f"{start}1+1")])
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["actor"] == f"'{start}1+1"
