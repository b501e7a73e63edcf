"""R1: notices and maintenance windows — posted, scheduled, withdrawn, and published to
the gateway by the service clock — on a fake unit of work, no database or Redis."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from gateway.maintenance import MaintenanceBoard as GatewayBoard
from notification.adapters.maintenance_board import MaintenanceBoard, maintenance_key
from notification.domain.notices import (
    Notice,
    NoticeDraft,
    NoticeNotFound,
    NoticeRuleError,
    NoticeWithdrawn,
)
from notification.service_layer import maintenance, notices

from .fakes import BrokenBoard, FakeNotificationUnitOfWork, FakeRedis

NOW = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)


def _draft(
    category: str = "maintenance", *, start: float = 1, end: float = 3, **kw: Any
) -> NoticeDraft:
    maintenance_like = category != "information"
    draft = NoticeDraft(
        category=category,
        title_ja="定期メンテナンス",
        title_en="Scheduled maintenance",
        body_ja="ご注文を停止します。",
        body_en="Ordering is paused.",
        publish_at=NOW - timedelta(hours=1),
        starts_at=NOW + timedelta(hours=start) if maintenance_like else None,
        ends_at=NOW + timedelta(hours=end) if maintenance_like else None,
        functions=("ordering",) if maintenance_like else (),
    )
    return replace(draft, **kw)


async def _post(uow: FakeNotificationUnitOfWork, draft: NoticeDraft) -> Notice:
    async with uow:
        return await notices.create_notice(uow=uow, draft=draft, actor="ops-1")


async def test_r1_a_maintenance_notice_is_posted_with_its_window_and_audited() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    notice = await _post(uow, _draft(functions=("ordering", "billing", "ordering")))
    assert uow.notices.items[notice.id].draft.functions == ("billing", "ordering")
    [entry] = uow.audited("notice.created")
    assert entry.target == str(notice.id) and entry.details["functions"] == ["billing", "ordering"]
    assert entry.details["starts_at"] == (NOW + timedelta(hours=1)).isoformat()
    assert notice.created_at == notice.updated_at == NOW


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (_draft(starts_at=None), "notice.window_required"),
        (_draft(start=3, end=1), "notice.window_invalid"),
        (_draft(functions=()), "notice.functions_required"),
        (_draft(functions=("payments",)), "notice.function_unknown"),
        (_draft("information", functions=("ordering",)), "notice.window_not_allowed"),
    ],
)
async def test_r1_an_incoherent_notice_is_refused_and_nothing_is_stored(
    draft: NoticeDraft, code: str
) -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    with pytest.raises(NoticeRuleError) as refused:
        await _post(uow, draft)
    assert refused.value.code == code and refused.value.errors[0]["code"] == code  # type: ignore[index]
    assert len(uow.notices) == 0 and uow.audit_log == []


async def test_r1_an_edit_is_checked_as_a_whole_and_a_refused_edit_changes_nothing() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    notice = await _post(uow, _draft(start=1, end=3))
    with pytest.raises(NoticeRuleError) as refused:
        async with uow:
            await notices.edit_notice(
                uow=uow,
                notice_id=notice.id,
                changes={"ends_at": NOW},
                actor="ops-1",
            )
    assert refused.value.code == "notice.window_invalid"
    assert notice.draft.ends_at == NOW + timedelta(hours=3)
    assert uow.audited("notice.edited") == []


async def test_r1_an_edit_applies_the_given_fields_by_the_service_clock_and_is_audited() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    notice = await _post(uow, _draft())
    uow.clock.pin(NOW + timedelta(minutes=5))
    async with uow:
        edited = await notices.edit_notice(
            uow=uow,
            notice_id=notice.id,
            changes={"functions": ("ordering", "billing")},
            actor="ops-2",
        )
    assert edited.draft.functions == ("billing", "ordering")
    assert edited.updated_at == NOW + timedelta(minutes=5) and edited.created_at == NOW
    [entry] = uow.audited("notice.edited")
    assert entry.actor == "ops-2" and entry.details["changed"] == ["functions"]


async def test_r1_a_withdrawn_notice_cannot_be_edited_or_withdrawn_again() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    notice = await _post(uow, _draft())
    async with uow:
        await notices.withdraw_notice(uow=uow, notice_id=notice.id, actor="ops-1")
    assert notice.withdrawn_at == NOW
    with pytest.raises(NoticeWithdrawn):
        async with uow:
            await notices.withdraw_notice(uow=uow, notice_id=notice.id, actor="ops-1")
    with pytest.raises(NoticeWithdrawn):
        async with uow:
            await notices.edit_notice(
                uow=uow, notice_id=notice.id, changes={"title_ja": "x"}, actor="ops-1"
            )
    assert [e.action for e in uow.audit_log] == ["notice.created", "notice.withdrawn"]


async def test_r1_an_unknown_notice_is_not_found() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    with pytest.raises(NoticeNotFound):
        async with uow:
            await notices.edit_notice(uow=uow, notice_id=uuid.uuid4(), changes={}, actor="ops")
    with pytest.raises(NoticeNotFound):
        await notices.read_notice(uow=uow, notice_id=uuid.uuid4())


async def test_r1_the_public_sees_current_and_upcoming_notices_maintenance_first() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    info = await _post(uow, _draft("information"))
    planned = await _post(uow, _draft(start=24, end=26))
    emergency = await _post(uow, _draft("emergency_maintenance", start=-1, end=1))
    await _post(uow, _draft("information", publish_at=NOW + timedelta(hours=1)))
    await _post(uow, _draft(start=-3, end=-1))
    withdrawn = await _post(uow, _draft(start=2, end=4))
    async with uow:
        await notices.withdraw_notice(uow=uow, notice_id=withdrawn.id, actor="ops")
    shown = await notices.live_notices(uow=uow, now=NOW)
    assert [n.id for n in shown] == [emergency.id, planned.id, info.id]
    assert [n.in_progress(NOW) for n in shown] == [True, False, False]


async def test_r1_a_scheduled_notice_appears_when_the_service_clock_reaches_it() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    later = await _post(uow, _draft("information", publish_at=NOW + timedelta(hours=1)))
    assert await notices.live_notices(uow=uow, now=NOW) == []
    shown = await notices.live_notices(uow=uow, now=NOW + timedelta(hours=1))
    assert [n.id for n in shown] == [later.id]


async def test_r1_ops_see_every_notice_newest_first_withdrawn_included() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    first = await _post(uow, _draft())
    uow.clock.pin(NOW + timedelta(minutes=1))
    second = await _post(uow, _draft("information"))
    async with uow:
        await notices.withdraw_notice(uow=uow, notice_id=first.id, actor="ops")
    assert [n.id for n in await notices.all_notices(uow=uow)] == [second.id, first.id]


async def _published(uow: FakeNotificationUnitOfWork) -> list[dict[str, Any]]:
    redis = FakeRedis()
    board = MaintenanceBoard(redis, "test")
    written = await maintenance.publish_maintenance(uow=uow, board=board)
    assert orjson.loads(redis.values[maintenance_key("test")]) == written
    return written


async def test_r1_upcoming_and_running_windows_are_published_soonest_first() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    upcoming = await _post(uow, _draft(start=24, end=26, functions=("ordering", "billing")))
    running = await _post(uow, _draft("emergency_maintenance", start=-1, end=1))
    await _post(uow, _draft("information"))
    windows = await _published(uow)
    assert [w["notice_id"] for w in windows] == [str(running.id), str(upcoming.id)]
    assert windows[1] == {
        "notice_id": str(upcoming.id),
        "functions": ["billing", "ordering"],
        "starts_at": (NOW + timedelta(hours=24)).isoformat(),
        "ends_at": (NOW + timedelta(hours=26)).isoformat(),
        "message_ja": "定期メンテナンス：ご注文を停止します。",
        "message_en": "Scheduled maintenance: Ordering is paused.",
    }


async def test_r1_a_window_leaves_the_gateway_when_it_ends_by_the_service_clock() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    await _post(uow, _draft(start=-1, end=1))
    assert len(await _published(uow)) == 1
    uow.clock.pin(NOW + timedelta(hours=1))
    assert await _published(uow) == []


async def test_r1_a_withdrawn_window_leaves_the_gateway_at_once() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    notice = await _post(uow, _draft(start=-1, end=1))
    async with uow:
        await notices.withdraw_notice(uow=uow, notice_id=notice.id, actor="ops")
    assert await _published(uow) == []


async def test_r1_maintenance_stops_orders_in_its_window_and_nothing_else() -> None:
    """The windows as the gateway reads them (its own parser) hold ordering's writes."""
    now = datetime.now(UTC)
    uow = FakeNotificationUnitOfWork(now=now)
    notice = await _post(
        uow,
        _draft(
            start=0, end=1, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
        ),
    )
    redis = FakeRedis()
    await maintenance.publish_maintenance(uow=uow, board=MaintenanceBoard(redis, "ns"))
    gateway = GatewayBoard(redis, "ns", cache_seconds=0)  # type: ignore[arg-type]
    held = await gateway.window_for("ordering")
    assert held is not None and held.notice_id == str(notice.id)
    assert held.message_en == "Scheduled maintenance: Ordering is paused."
    assert await gateway.window_for("catalog") is None


async def test_r1_a_redis_outage_does_not_undo_the_notice_change() -> None:
    uow = FakeNotificationUnitOfWork(now=NOW)
    notice = await _post(uow, _draft())
    await maintenance.publish_maintenance_soon(uow=uow, board=BrokenBoard())
    assert uow.notices.items[notice.id] is notice and uow.committed == 1
