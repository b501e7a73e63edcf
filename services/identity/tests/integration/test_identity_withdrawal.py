"""Withdrawal through the HTTP API (R11), with ordering's /internal API served by a
stand-in on a real port (ordering is built by another team)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web

from identity.adapters.ordering_client import OrderingClient
from identity.service_layer.withdrawal import recheck_waiting
from servicekit.testing.smtp import free_port

WITHDRAWAL = "/api/v1/me/withdrawal"


class OrderingStandIn:
    """Answers ``/internal/members/{id}/withdrawal-blockers`` from a dict; members
    in ``down`` get a 503, like an ordering that cannot answer."""

    def __init__(self) -> None:
        self.blockers: dict[str, list[dict[str, Any]]] = {}
        self.down: set[str] = set()
        self.port = free_port()

    async def handle(self, request: web.Request) -> web.Response:
        member_id = request.match_info["member_id"]
        if member_id in self.down:
            return web.Response(status=503)
        return web.json_response({"items": self.blockers.get(member_id, [])})


@pytest_asyncio.fixture(scope="module")
async def ordering(identity: Any) -> AsyncIterator[OrderingStandIn]:
    stand_in = OrderingStandIn()
    app = web.Application()
    app.router.add_get("/internal/members/{member_id}/withdrawal-blockers", stand_in.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", stand_in.port).start()
    previous = identity.adapters
    stand_in_client = OrderingClient(
        f"http://127.0.0.1:{stand_in.port}", timeout_seconds=identity.settings.http_timeout_seconds
    )
    identity.app.state.identity = replace(previous, ordering=stand_in_client)
    try:
        yield stand_in
    finally:
        identity.app.state.identity = previous
        await runner.cleanup()


async def test_r11_refused_at_once_naming_the_blocking_contract(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        contract = {
            "kind": "contract",
            "id": str(uuid.uuid4()),
            "service_id": str(uuid.uuid4()),
            "service_name": {"ja": "専用サーバー", "en": "Dedicated server"},
            "ends_on": "2027-03-31",
        }
        ordering.blockers[member["member_id"]] = [contract]
        answer = await client.post(WITHDRAWAL, headers=member["headers"])
        state = await client.get(WITHDRAWAL, headers=member["headers"])
        still_logs_in = await client.post(
            "/api/v1/auth/login",
            json={"login_id": member["body"]["email"], "password": identity.password},
        )
    assert answer.status_code == 202
    assert answer.json()["status"] == "refused"
    assert answer.json()["blocking_items"][0]["id"] == contract["id"]
    assert state.json()["status"] == "refused"
    assert still_logs_in.status_code == 200
    event = await identity.last_event_for("identity.withdrawal.decided", member["member_id"])
    assert event["decision"] == "refused" and event["blocking_items"][0]["ends_on"] == "2027-03-31"


async def test_r11_ops_confirm_withdraws_when_nothing_blocks(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        ops = await identity.ops_headers(client)
        answer = await client.post(WITHDRAWAL, headers=member["headers"])
        withdrawal_id = answer.json()["id"]
        by_member = await client.post(
            f"/api/v1/ops/identity/withdrawals/{withdrawal_id}/confirm", headers=member["headers"]
        )
        pending = await client.get("/api/v1/ops/identity/withdrawals", headers=ops)
        confirmed = await client.post(
            f"/api/v1/ops/identity/withdrawals/{withdrawal_id}/confirm", headers=ops
        )
        login = await client.post(
            "/api/v1/auth/login",
            json={"login_id": member["body"]["email"], "password": identity.password},
        )
        refresh = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": member["tokens"]["refresh_token"]}
        )
        # The access token issued before the withdrawal has not expired yet.
        old_token = await client.get("/api/v1/me", headers=member["headers"])
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    assert answer.json()["stage"] == "awaiting_confirmation"
    assert by_member.status_code == 403
    assert withdrawal_id in {w["id"] for w in pending.json()["items"]}
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "withdrawn"
    assert login.status_code == 403 and login.json()["code"] == "auth.account_withdrawn"
    assert refresh.status_code == 401
    assert old_token.status_code == 401 and old_token.json()["code"] == "auth.session_invalid"
    decided = await identity.last_event_for("identity.withdrawal.decided", member["member_id"])
    assert decided["decision"] == "withdrawn"
    profile = await identity.last_event_for("identity.member.profile_changed", member["member_id"])
    assert profile["profile"]["status"] == "withdrawn"


async def test_r11_request_waits_while_ordering_cannot_answer(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        ordering.down.add(member["member_id"])
        answer = await client.post(WITHDRAWAL, headers=member["headers"])
        ordering_client = identity.adapters.ordering
        await recheck_waiting(uow=identity.uow(), ordering=ordering_client)
        still = await client.get(WITHDRAWAL, headers=member["headers"])
        ordering.down.discard(member["member_id"])
        await recheck_waiting(uow=identity.uow(), ordering=ordering_client)
        after = await client.get(WITHDRAWAL, headers=member["headers"])
    assert answer.status_code == 202 and answer.json()["stage"] == "checking_orders"
    assert still.json()["stage"] == "checking_orders", "never approved without ordering's answer"
    assert (after.json()["status"], after.json()["stage"]) == ("pending", "awaiting_confirmation")


# --- the withdrawal desk (R33) ---------------------------------------------------------

DESK = "/api/v1/ops/identity/withdrawals"


def _contract_blocker() -> dict[str, Any]:
    return {
        "kind": "contract",
        "id": str(uuid.uuid4()),
        "service_id": str(uuid.uuid4()),
        "service_name": {"ja": "IoT SIM", "en": "IoT SIM"},
        "ends_on": None,
    }


async def _pending(identity: Any, client: Any, **overrides: Any) -> tuple[dict[str, Any], str]:
    """A member whose request awaits ops, and the request's id."""
    member = await identity.register_and_verify(client, **overrides)
    answer = await client.post(WITHDRAWAL, headers=member["headers"])
    assert answer.json()["stage"] == "awaiting_confirmation", answer.text
    return member, answer.json()["id"]


async def _audited(identity: Any, action: str, target: str) -> list[str]:
    async with identity.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT actor FROM audit_log WHERE action = :a AND target = :t"),
            {"a": action, "t": target},
        )
        return [row[0] for row in rows]


async def test_r33_the_desk_lists_pending_requests_with_the_member_and_blockers(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        member, withdrawal_id = await _pending(
            identity, client, organization_name="デスク商事", name="退会 希望"
        )
        blocker = _contract_blocker()
        ordering.blockers[member["member_id"]] = [blocker]
        ops = await identity.ops_headers(client)
        listed = await client.get(DESK, params={"status": "pending", "limit": 100}, headers=ops)
    assert listed.status_code == 200, listed.text
    [item] = [i for i in listed.json()["items"] if i["id"] == withdrawal_id]
    assert item["member"]["organization_name"] == "デスク商事"
    assert item["member"]["name"] == "退会 希望"
    assert item["member"]["id"] == member["member_id"]
    assert [b["id"] for b in item["current_blockers"]] == [blocker["id"]]
    assert (item["status"], item["stage"]) == ("pending", "awaiting_confirmation")


async def test_r33_confirm_is_refused_with_409_while_blockers_remain(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        member, withdrawal_id = await _pending(identity, client)
        blocker = _contract_blocker()
        ordering.blockers[member["member_id"]] = [blocker]
        ops = await identity.ops_headers(client)
        blocked = await client.post(f"{DESK}/{withdrawal_id}/confirm", headers=ops)
        state = await client.get(WITHDRAWAL, headers=member["headers"])
        ordering.blockers[member["member_id"]] = []
        confirmed = await client.post(f"{DESK}/{withdrawal_id}/confirm", headers=ops)
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["code"] == "withdrawal.blocked"
    assert [b["id"] for b in blocked.json()["blocking_items"]] == [blocker["id"]]
    assert (state.json()["status"], state.json()["stage"]) == ("pending", "awaiting_confirmation")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "withdrawn"
    decided = [
        e
        for e in await identity.events("identity.withdrawal.decided")
        if e["withdrawal_id"] == withdrawal_id
    ]
    assert [e["decision"] for e in decided] == ["withdrawn"], "nothing published while blocked"
    assert len(await _audited(identity, "withdrawal.withdrawn", f"withdrawal:{withdrawal_id}")) == 1


async def test_r33_ops_refuse_with_a_reason_audited_and_published(
    identity: Any, ordering: OrderingStandIn
) -> None:
    reason = "ご契約中のIoT SIMを先に解約してください。"
    async with identity.client() as client:
        member, withdrawal_id = await _pending(identity, client)
        ops = await identity.ops_headers(client)
        blank = await client.post(
            f"{DESK}/{withdrawal_id}/refuse", json={"reason": " "}, headers=ops
        )
        refused = await client.post(
            f"{DESK}/{withdrawal_id}/refuse", json={"reason": reason}, headers=ops
        )
        again = await client.post(
            f"{DESK}/{withdrawal_id}/refuse", json={"reason": reason}, headers=ops
        )
        state = await client.get(WITHDRAWAL, headers=member["headers"])
        listed = await client.get(DESK, params={"status": "refused", "limit": 100}, headers=ops)
        login = await client.post(
            "/api/v1/auth/login",
            json={"login_id": member["body"]["email"], "password": identity.password},
        )
    assert blank.status_code == 422
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["reason"]) == ("refused", reason)
    assert again.status_code == 409 and again.json()["code"] == "withdrawal.not_pending"
    assert (state.json()["status"], state.json()["reason"]) == ("refused", reason)
    [item] = [i for i in listed.json()["items"] if i["id"] == withdrawal_id]
    assert item["decided_by"] and item["current_blockers"] is None
    assert login.status_code == 200, "a refused member keeps the account"
    event = await identity.last_event_for("identity.withdrawal.decided", member["member_id"])
    assert (event["decision"], event["reason"], event["blocking_items"]) == ("refused", reason, [])
    actors = await _audited(identity, "withdrawal.refused", f"withdrawal:{withdrawal_id}")
    assert actors == [item["decided_by"]]


async def test_r33_the_desk_is_for_ops_only_and_unknown_requests_are_404(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        member, withdrawal_id = await _pending(identity, client)
        ops = await identity.ops_headers(client)
        calls = [
            ("GET", DESK, None),
            ("POST", f"{DESK}/{withdrawal_id}/confirm", None),
            ("POST", f"{DESK}/{withdrawal_id}/refuse", {"reason": "理由"}),
        ]
        as_member = [
            await client.request(m, p, json=b, headers=member["headers"]) for m, p, b in calls
        ]
        anonymous = [await client.request(m, p, json=b) for m, p, b in calls]
        unknown = [
            await client.post(f"{DESK}/{uuid.uuid4()}/confirm", headers=ops),
            await client.post(f"{DESK}/{uuid.uuid4()}/refuse", json={"reason": "x"}, headers=ops),
        ]
        state = await client.get(WITHDRAWAL, headers=member["headers"])
    assert [a.status_code for a in as_member] == [403, 403, 403]
    assert [a.status_code for a in anonymous] == [401, 401, 401]
    assert [(u.status_code, u.json()["code"]) for u in unknown] == [
        (404, "withdrawal.not_found")
    ] * 2
    assert state.json()["stage"] == "awaiting_confirmation"


async def test_r33_the_desk_pages_through_next_cursor(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        for _ in range(3):
            await _pending(identity, client)
        ops = await identity.ops_headers(client)
        pages: list[list[str]] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(DESK, params=params, headers=ops)).json()
            pages.append([i["id"] for i in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
    seen = [i for page in pages for i in page]
    assert len(pages) >= 2 and all(len(page) == 2 for page in pages[:-1])
    assert len(seen) == len(set(seen)) >= 3
