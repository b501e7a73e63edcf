"""Withdrawal through the HTTP API (R11), with ordering's /internal API served by a
stand-in on a real port (ordering is built by another team)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest_asyncio
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
