"""The pieces every service shares: the clock, recorded events, the fake unit of work,
keyset cursors and the member-id dependency. No database, broker or Redis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bizmall_events.ordering import ContractCancelled
from servicekit import errors
from servicekit.aggregate import Aggregate
from servicekit.auth import Principal, member_id_of
from servicekit.clock import Clock, japan_today
from servicekit.pagination import InvalidCursor, decode_cursor, encode_cursor, page_of
from servicekit.problems import Problem, problem_of_domain_error
from servicekit.testing.fakes import FakeUnitOfWork, InMemoryRepository

JST = timezone(timedelta(hours=9))


def test_a_pinned_clock_answers_the_pinned_instant_in_utc() -> None:
    clock = Clock()
    clock.pin(datetime(2026, 12, 28, 13, 0, tzinfo=JST))
    assert clock() == datetime(2026, 12, 28, 4, 0, tzinfo=UTC)
    assert clock.today_in_japan() == date(2026, 12, 28)
    clock.unpin()
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_naive_instant_cannot_pin_the_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Clock().pin(datetime(2026, 1, 1))


def test_japan_today_crosses_midnight_nine_hours_before_utc() -> None:
    assert japan_today(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == date(2026, 4, 1)


@dataclass(frozen=True)
class _Frozen(Aggregate):
    id: uuid.UUID


def _event(contract_id: uuid.UUID) -> ContractCancelled:
    return ContractCancelled.model_validate(
        {
            "contract_id": contract_id,
            "order_id": uuid.uuid4(),
            "member_id": uuid.uuid4(),
            "service_id": uuid.uuid4(),
            "service_name": {"ja": "回線", "en": "Line"},
            "plan_id": uuid.uuid4(),
            "plan_name": {"ja": "標準", "en": "Standard"},
            "quantity": 1,
            "aggregate_version": 2,
            "end_date": "2026-01-31",
            "early_termination_fee": 0,
        }
    )


def test_a_frozen_aggregate_records_events_until_collected() -> None:
    aggregate = _Frozen(uuid.uuid4())
    aggregate.record(_event(aggregate.id))
    assert len(aggregate.recorded_events) == 1
    assert [e.aggregate_id for e in aggregate.collect_events()] == [aggregate.id]
    assert aggregate.collect_events() == []


async def test_the_unit_of_work_commits_tracked_aggregates_events_once() -> None:
    uow = FakeUnitOfWork(now=datetime(2026, 5, 1, tzinfo=UTC))
    repo: InMemoryRepository[uuid.UUID, _Frozen] = InMemoryRepository(uow, key=lambda a: a.id)
    async with uow:
        aggregate = repo.put(_Frozen(uuid.uuid4()))
        aggregate.record(_event(aggregate.id))
        uow.audit(actor="ops-1", action="contract.cancelled", target=str(aggregate.id))
        await uow.commit()
    async with uow:
        await uow.commit()
    assert [e.aggregate_id for e in uow.events_of(ContractCancelled)] == [aggregate.id]
    assert uow.audited("contract.cancelled")[0].at == datetime(2026, 5, 1, tzinfo=UTC)
    assert uow.committed == 2


async def test_events_of_a_rolled_back_unit_of_work_are_dropped() -> None:
    uow = FakeUnitOfWork()
    repo: InMemoryRepository[uuid.UUID, _Frozen] = InMemoryRepository(uow, key=lambda a: a.id)
    async with uow:
        aggregate = repo.put(_Frozen(uuid.uuid4()))
        aggregate.record(_event(aggregate.id))
    assert uow.events == [] and uow.rollbacks == 1
    assert aggregate.recorded_events == ()


def test_a_cursor_takes_a_drivers_own_uuid_class() -> None:
    class DriverUUID(uuid.UUID):
        """asyncpg answers uuid columns with a subclass of uuid.UUID."""

    ident = DriverUUID(str(uuid.uuid4()))
    assert decode_cursor(encode_cursor(ident), uuid.UUID) == (uuid.UUID(str(ident)),)


def test_a_cursor_round_trips_its_typed_key() -> None:
    key = (datetime(2026, 4, 1, 9, 30, tzinfo=UTC), uuid.uuid4())
    assert decode_cursor(encode_cursor(*key), datetime, uuid.UUID) == key
    assert decode_cursor(encode_cursor(date(2026, 4, 1), "x"), date, str) == (date(2026, 4, 1), "x")


@pytest.mark.parametrize("cursor", ["", "not-base64!", encode_cursor("slug"), "e30"])
def test_a_cursor_not_made_for_the_listing_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, datetime, uuid.UUID)


def test_a_page_has_a_next_cursor_only_when_more_rows_came() -> None:
    more = page_of([1, 2, 3], limit=2, key=lambda n: (n,))
    assert more.items == [1, 2] and decode_cursor(more.next_cursor or "", int) == (2,)
    last = page_of([1, 2], limit=2, key=lambda n: (n,))
    assert last.items == [1, 2] and last.next_cursor is None


def _principal(subject: str) -> Principal:
    return Principal(subject=subject, roles=frozenset(), entity_type=None, verified=True, claims={})


def test_a_member_id_is_the_token_subject() -> None:
    member = uuid.uuid4()
    assert member_id_of(_principal(str(member))) == member


def test_a_subject_that_is_no_member_id_is_refused_with_one_wording() -> None:
    with pytest.raises(Problem) as refused:
        member_id_of(_principal("ops:alice"))
    assert refused.value.status == 403 and refused.value.code == "auth.not_a_member"


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (errors.NotFound, 404),
        (errors.Conflict, 409),
        (errors.Invalid, 422),
        (errors.Forbidden, 403),
        (errors.Unauthenticated, 401),
        (errors.TooManyAttempts, 429),
        (errors.PayloadTooLarge, 413),
        (errors.UnsupportedContent, 415),
        (errors.Unavailable, 503),
        (errors.DomainError, 422),
    ],
)
def test_a_domain_error_is_answered_with_the_status_of_its_kind(
    kind: type[errors.DomainError], status: int
) -> None:
    problem = problem_of_domain_error(kind("x.refused", ja="拒否", en="Refused", retry_after=30))
    assert (problem.status, problem.code, problem.ja, problem.en) == (
        status,
        "x.refused",
        "拒否",
        "Refused",
    )
    assert problem.headers["Retry-After"] == "30"


def test_an_invalid_cursor_is_a_422_naming_the_cursor_problem() -> None:
    problem = problem_of_domain_error(InvalidCursor("zzz"))
    assert (problem.status, problem.code) == (422, "request.invalid_cursor")
