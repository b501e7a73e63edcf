"""Issue 19 items 8 and 17 through ordering's HTTP API on the real PostgreSQL: order
fields are bounded and never echoed; Idempotency-Keys are pruned after their 24 h and
honoured until then."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from jpcalendar import JST
from ordering.adapters.tables import OrderRequestKey
from ordering.bootstrap import SERVICE

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
START = date(2026, 6, 8)
#: "Short": the answer to a huge body must not grow with it.
SHORT = 4096


async def test_item8_a_10_mb_option_gets_a_short_413(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    body = ordering.order_body(snapshot, START, options={"domain_name": "x" * 10_000_000})
    response = await ordering.client.post(
        "/api/v1/orders", json=body, headers=ordering.member(uuid.uuid4())
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "request.too_large"
    assert len(response.content) < SHORT

    async def chunks() -> AsyncIterator[bytes]:
        # The same body without a Content-Length: refused once 64 KiB have come.
        encoded = orjson.dumps(body)
        for start in range(0, len(encoded), 65_536):
            yield encoded[start : start + 65_536]

    chunked = await ordering.client.post(
        "/api/v1/orders",
        content=chunks(),
        headers={**ordering.member(uuid.uuid4()), "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413 and len(chunked.content) < SHORT


async def test_item8_options_over_16_kib_or_50_names_get_a_short_422_without_the_value(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member = ordering.member(uuid.uuid4())
    for options in (
        {"domain_name": "SECRET" + "x" * 20_000},
        {f"SECRET_{i}": 1 for i in range(51)},
    ):
        response = await ordering.client.post(
            "/api/v1/orders",
            json=ordering.order_body(snapshot, START, options=options),
            headers=member,
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "request.invalid"
        assert [e["field"] for e in response.json()["errors"]] == ["body.options"]
        assert "SECRET" not in response.text and len(response.content) < SHORT


async def test_item8_order_field_refusals_do_not_repeat_the_value(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    value = "NOT-A-DOMAIN-" + "y" * 900
    for language in ("ja", "en"):
        response = await ordering.client.post(
            "/api/v1/orders",
            json=ordering.order_body(
                snapshot, START, options={"domain_name": value, "seats": value}
            ),
            headers={**ordering.member(uuid.uuid4()), "Accept-Language": language},
        )
        assert response.status_code == 422
        codes = {e["code"] for e in response.json()["errors"]}
        assert {"order.options.pattern", "order.options.type"} <= codes
        assert "NOT-A-DOMAIN" not in response.text and len(response.content) < SHORT


async def _keys_of(ordering: Any, member_id: uuid.UUID) -> set[str]:
    async with ordering.runtime.sessions() as session:
        rows = await session.scalars(
            sa.select(OrderRequestKey.key).where(OrderRequestKey.member_id == member_id)
        )
        return set(rows)


async def test_item17_keys_past_their_24_hours_are_pruned_and_younger_ones_still_replay(
    ordering: Any,
) -> None:
    [prune] = [job for job in SERVICE.jobs(ordering.runtime) if "request_keys" in job.name]
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()

    async def place(key: str) -> Any:
        return await ordering.client.post(
            "/api/v1/orders",
            # A start date selectable on both days of the test.
            json=ordering.order_body(snapshot, date(2026, 6, 15)),
            headers={**ordering.member(member_id), "Idempotency-Key": key},
        )

    ordering.pin(NOW)
    old = await place("old")
    ordering.pin(NOW + timedelta(hours=23))
    young = await place("young")
    assert (old.status_code, young.status_code) == (201, 201)

    ordering.pin(NOW + timedelta(hours=24, seconds=1))
    await prune.run()
    assert await _keys_of(ordering, member_id) == {"young"}
    # An hour old: inside its 24 h, the key still answers its first order.
    replay = await place("young")
    assert replay.status_code == 200
    assert replay.json()["id"] == young.json()["id"]

    ordering.pin(NOW + timedelta(hours=46, minutes=59))  # 23 h 59 min old
    await prune.run()
    assert await _keys_of(ordering, member_id) == {"young"}
    ordering.pin(NOW + timedelta(hours=47, seconds=1))
    await prune.run()
    assert await _keys_of(ordering, member_id) == set()
