"""Issue 19, item 14: an API's ``/readyz`` does not depend on the broker.

An API writes its events to the outbox in its own database, never to RabbitMQ,
so a broker outage must not take every API pod out of its Service (on
Kubernetes readiness decides that). The worker's readiness still names the
broker: it is the process that needs it.
"""

from __future__ import annotations

from typing import Any

import httpx

from servicekit.cli import ServiceDefinition
from servicekit.service import service_app
from servicekit.testing.probe import ProbeSettings


async def test_item14_api_readyz_stays_200_while_the_broker_is_unreachable(
    infra: Any, closed_port: int
) -> None:
    settings = await infra.service_settings(
        ProbeSettings, amqp_url=f"amqp://guest:guest@127.0.0.1:{closed_port}/"
    )
    definition = ServiceDefinition(
        name="probe", settings_class=ProbeSettings, app_factory="unused:unused"
    )
    app = service_app(definition, settings, routers=[])
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            ready = await client.get("/readyz")
    finally:
        await app.state.jwks_verifier.close()
        await app.state.runtime.close()
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis"}
