"""Consumers: a redelivered event has one effect; a failing handler ends in the DLQ."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import sqlalchemy as sa

from bizmall_events import Envelope
from servicekit.audit import AuditRecord
from servicekit.auth import JWKSVerifier
from servicekit.deadletters import DeadLetter, replay
from servicekit.ops import dead_letter_router
from servicekit.runtime import Runtime
from servicekit.testing.helpers import eventually
from servicekit.testing.probe import ProbeEffect, ProbeHappened, effect_count
from servicekit.web import create_service_app
from servicekit.worker import Worker


class Switch:
    """Makes the probe handler fail while on."""

    def __init__(self) -> None:
        self.failing = False
        self.calls = 0


@pytest_asyncio.fixture
async def running(probe: Runtime) -> AsyncIterator[tuple[Worker, Switch]]:
    switch = Switch()

    async def on_probe(event: ProbeHappened, *, uow: Any, envelope: Envelope) -> None:
        switch.calls += 1
        uow.session.add(ProbeEffect(probe_id=event.probe_id))
        if switch.failing:
            raise RuntimeError("downstream refused the probe")

    worker = Worker(probe, subscriptions={ProbeHappened: on_probe})
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(worker.ready.wait(), 20)
    try:
        yield worker, switch
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)


async def test_event_published_through_outbox_reaches_its_handler(
    probe: Runtime, running: tuple[Worker, Switch]
) -> None:
    probe_id = uuid.uuid4()
    async with probe.uow() as uow:
        uow.publish(ProbeHappened(probe_id=probe_id))
        await uow.commit()
    assert await eventually(lambda: effect_count(probe, probe_id)) == 1


async def test_redelivered_event_is_handled_once(
    probe: Runtime, running: tuple[Worker, Switch]
) -> None:
    _, switch = running
    probe_id = uuid.uuid4()
    envelope = Envelope.wrap(ProbeHappened(probe_id=probe_id), producer="test", correlation_id="c1")
    for _ in range(3):  # the broker (or a relay crash) delivers the same event three times
        await probe.bus.publish(envelope)
    await eventually(lambda: effect_count(probe, probe_id))
    await asyncio.sleep(1.0)  # let the duplicates arrive and be skipped
    assert await effect_count(probe, probe_id) == 1
    assert switch.calls == 1


async def dead_letters(probe: Runtime) -> list[DeadLetter]:
    async with probe.sessions() as session:
        return list((await session.execute(sa.select(DeadLetter))).scalars())


async def test_failing_handler_ends_in_dlq_and_can_be_replayed(
    probe: Runtime, running: tuple[Worker, Switch]
) -> None:
    _, switch = running
    switch.failing = True
    probe_id = uuid.uuid4()
    async with probe.uow() as uow:
        uow.publish(ProbeHappened(probe_id=probe_id))
        await uow.commit()

    letters = await eventually(lambda: dead_letters(probe), timeout=30)
    assert len(letters) == 1
    letter = letters[0]
    assert letter.attempts == probe.settings.max_attempts
    assert switch.calls == probe.settings.max_attempts
    assert "downstream refused the probe" in letter.error
    assert letter.event_type == ProbeHappened.TYPE
    assert await effect_count(probe, probe_id) == 0  # every failed attempt rolled back

    switch.failing = False
    await replay(letter, bus=probe.bus)
    assert await eventually(lambda: effect_count(probe, probe_id)) == 1


async def test_ops_inspect_redacted_and_replay_dead_letter_over_http(
    probe: Runtime, running: tuple[Worker, Switch], token_issuer: Any
) -> None:
    _, switch = running
    switch.failing = True
    probe_id = uuid.uuid4()
    async with probe.uow() as uow:
        uow.publish(ProbeHappened(probe_id=probe_id, sealed_note="s3cret-token-value"))
        await uow.commit()
    await eventually(lambda: dead_letters(probe), timeout=30)

    app = create_service_app(
        settings=probe.settings,
        title="probe",
        routers=[dead_letter_router("kitprobe")],
        readiness={},
    )
    app.state.runtime = probe
    app.state.jwks_verifier = JWKSVerifier(token_issuer.jwks_url)
    ops = token_issuer.ops("ops-alice")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        base = "/api/v1/ops/kitprobe/dead-letters"
        assert (await client.get(base, headers=token_issuer.member())).status_code == 403
        page = (await client.get(base, headers=ops)).json()
        assert len(page["items"]) == 1
        letter_id = page["items"][0]["id"]

        detail = await client.get(f"{base}/{letter_id}", headers=ops)
        assert detail.status_code == 200
        assert "s3cret-token-value" not in detail.text
        assert detail.json()["envelope"]["data"]["sealed_note"] == "[REDACTED]"
        assert detail.json()["envelope"]["data"]["probe_id"] == str(probe_id)

        switch.failing = False
        replayed = await client.post(f"{base}/{letter_id}/replay", headers=ops)
        assert replayed.status_code == 200
        assert replayed.json()["status"] == "replayed"
        assert await eventually(lambda: effect_count(probe, probe_id)) == 1

        again = await client.post(f"{base}/{letter_id}/discard", headers=ops)
        assert again.status_code == 409
        assert again.json()["code"] == "dead_letter.already_resolved"
        missing = await client.get(f"{base}/{uuid.uuid4()}", headers=ops)
        assert missing.status_code == 404

    async with probe.sessions() as session:
        audits = list((await session.execute(sa.select(AuditRecord))).scalars())
    assert [(a.actor, a.action) for a in audits] == [("ops-alice", "dead_letter.replayed")]
