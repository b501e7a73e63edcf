"""Site notices and maintenance windows (R1): ops manage them, the public reads them,
and the gateway finds the active windows in Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import text

from gateway.maintenance import MaintenanceBoard
from notification.adapters.maintenance_board import maintenance_key
from servicekit.testing.helpers import eventually

NOTICES = "/api/v1/ops/notification/notices"


def _at(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def maintenance(category: str = "maintenance", *, start: float, end: float, **kw: Any) -> dict:
    return {
        "category": category,
        "title": {"ja": "定期メンテナンス", "en": "Scheduled maintenance"},
        "body": {"ja": "ご注文を停止します。", "en": "Ordering is paused."},
        "starts_at": _at(start),
        "ends_at": _at(end),
        "functions": ["ordering"],
        **kw,
    }


async def windows(n: Any) -> list[dict]:
    raw = await n.runtime.redis.get(maintenance_key(n.settings.redis_namespace))
    return orjson.loads(raw) if raw else []


async def test_r1_active_window_reaches_the_gateway_and_leaves_when_withdrawn(
    notification: Any, token_issuer: Any
) -> None:
    n, ops = notification, token_issuer.ops()
    created = await n.client.post(NOTICES, json=maintenance(start=-1, end=60), headers=ops)
    assert created.status_code == 201, created.text
    notice_id = created.json()["id"]
    [window] = await windows(n)
    assert window["notice_id"] == notice_id and window["functions"] == ["ordering"]
    assert window["message_ja"].startswith("定期メンテナンス")

    board = MaintenanceBoard(n.runtime.redis, n.settings.redis_namespace, cache_seconds=0)
    held = await board.window_for("ordering")
    assert held is not None and held.notice_id == notice_id
    assert await board.window_for("catalog") is None

    withdrawn = await n.client.post(f"{NOTICES}/{notice_id}/withdraw", headers=ops)
    assert withdrawn.status_code == 200
    assert await windows(n) == []
    assert await board.window_for("ordering") is None
    again = await n.client.post(f"{NOTICES}/{notice_id}/withdraw", headers=ops)
    assert again.status_code == 409 and again.json()["code"] == "notice.withdrawn"

    async with n.runtime.sessions() as session:
        actions = (
            await session.execute(
                text("SELECT action FROM audit_log WHERE target = :t ORDER BY at"),
                {"t": notice_id},
            )
        ).scalars()
        assert list(actions) == ["notice.created", "notice.withdrawn"]


async def test_r1_the_refresh_job_rewrites_the_windows_and_edits_apply_at_once(
    notification: Any, token_issuer: Any
) -> None:
    n, ops = notification, token_issuer.ops()
    created = await n.client.post(NOTICES, json=maintenance(start=30, end=90), headers=ops)
    notice_id = created.json()["id"]
    await n.runtime.redis.set(maintenance_key(n.settings.redis_namespace), b"[]")
    await eventually(lambda: windows(n))  # the periodic job puts the upcoming window back

    edited = await n.client.patch(
        f"{NOTICES}/{notice_id}", json={"functions": ["ordering", "billing"]}, headers=ops
    )
    assert edited.status_code == 200, edited.text
    assert (await windows(n))[0]["functions"] == ["billing", "ordering"]


async def test_r1_public_list_shows_current_and_upcoming_notices_maintenance_first(
    notification: Any, token_issuer: Any
) -> None:
    n, ops = notification, token_issuer.ops()
    info = {
        "category": "information",
        "title": {"ja": "新サービス", "en": "New service"},
        "body": {"ja": "始めました。", "en": "Now available."},
    }
    ids = {}
    for name, body in {
        "info": info,
        "planned": maintenance(start=60 * 24, end=60 * 26),
        "emergency": maintenance("emergency_maintenance", start=-5, end=30),
        "scheduled_info": {**info, "publish_at": _at(60)},
        "ended": maintenance(start=-120, end=-60),
    }.items():
        answer = await n.client.post(NOTICES, json=body, headers=ops)
        assert answer.status_code == 201, answer.text
        ids[answer.json()["id"]] = name

    public = await n.client.get("/api/v1/notices")
    assert public.status_code == 200
    items = public.json()["items"]
    assert [ids[item["id"]] for item in items] == ["emergency", "planned", "info"]
    assert items[0]["in_progress"] is True and items[1]["in_progress"] is False


async def test_r1_incoherent_notices_and_non_ops_are_refused(
    notification: Any, token_issuer: Any
) -> None:
    n = notification
    no_window = {**maintenance(start=0, end=10), "starts_at": None}
    refused = await n.client.post(NOTICES, json=no_window, headers=token_issuer.ops())
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "notice.window_required"
    backwards = await n.client.post(
        NOTICES, json=maintenance(start=10, end=5), headers=token_issuer.ops()
    )
    assert backwards.json()["code"] == "notice.window_invalid"
    bad_category = await n.client.post(
        NOTICES, json=maintenance("outage", start=0, end=5), headers=token_issuer.ops()
    )
    assert bad_category.status_code == 422
    assert (await n.client.post(NOTICES, json=maintenance(start=0, end=5))).status_code == 401
    member = await n.client.post(
        NOTICES, json=maintenance(start=0, end=5), headers=token_issuer.member()
    )
    assert member.status_code == 403
    missing = await n.client.patch(
        f"{NOTICES}/00000000-0000-4000-8000-000000000000",
        json={"functions": ["billing"]},
        headers=token_issuer.ops(),
    )
    assert missing.status_code == 404
