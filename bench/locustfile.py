"""The Locust scenario of ``make bench``: members browsing far more than ordering.

Each simulated member, between short pauses, mostly reads the lineup and
service pages and sometimes the order calendar; one action in twenty is an
order. ``bench.bench_locust`` runs it headless (``locust --headless``) against
the gateway, with what the tasks need in the JSON file named by
``BENCH_LOCUST_INPUT``: the seeded service ids, a valid order body and the
access tokens of verified members (each simulated member takes the next one).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, task

_INPUT: dict[str, Any] = json.loads(Path(os.environ["BENCH_LOCUST_INPUT"]).read_text())
_TOKENS = itertools.cycle(_INPUT["tokens"])
_SERVICES: list[str] = _INPUT["service_ids"]


class Member(FastHttpUser):
    """A member of a business looking around the mall and now and then ordering."""

    wait_time = between(
        float(os.environ.get("BENCH_LOCUST_MIN_WAIT", "0.1")),
        float(os.environ.get("BENCH_LOCUST_MAX_WAIT", "0.5")),
    )

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {next(_TOKENS)}"}

    @task(10)
    def lineup(self) -> None:
        self.client.get("/api/v1/services", name="GET /services")

    @task(6)
    def service(self) -> None:
        self.client.get(f"/api/v1/services/{random.choice(_SERVICES)}", name="GET /services/{id}")

    @task(3)
    def calendar(self) -> None:
        service_id = _INPUT["order_body"]["service_id"]
        self.client.get(
            f"/api/v1/services/{service_id}/start-dates", name="GET /services/{id}/start-dates"
        )

    @task(1)
    def order(self) -> None:
        with self.client.post(
            "/api/v1/orders",
            json=_INPUT["order_body"],
            headers=self.headers,
            name="POST /orders",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}")
