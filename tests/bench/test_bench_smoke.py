"""Smoke test of ``make bench`` (issue 9): the whole suite runs and produces every figure.

It runs ``python -m bench`` as ``make bench`` does, on a stack of its own, with
tiny durations (a second per load, a few members, 20 contracts) and tiny
scaling curves (20 to 80 contracts, 20 and 40 members, 8 and 12 services, 50
and 100 orders, 2 and 4 orders/s), and checks that the JSON and Markdown
summaries exist, that every figure the issues ask for is there with a number,
and that every scaling curve has its points, its fitted exponent and its plot.
No figure is judged: speed is what the suite itself measures, not what a test
asserts.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from servicekit.testing.infra import Infra

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "catalog", "ordering", "billing", "notification")
ENDPOINTS = ("services", "service", "start_dates")
#: Every figure issue 9 names, by the id the summary gives it.
EXPECTED = [
    "ceiling.framework.rps",
    "ceiling.two_hop.rps",
    "ceiling.db_write.rps",
    *[
        f"catalog.{e}.{figure}"
        for e in ENDPOINTS
        for figure in (
            "direct.rps",
            "gateway.rps",
            "gateway.p50_ms",
            "gateway.p99_ms",
            "half_max.p99_ms",
        )
    ],
    "ordering.place.rps",
    "ordering.place.p50_ms",
    "ordering.place.p99_ms",
    "ordering.half_max.p99_ms",
    "mail.p50_ms",
    "mail.p99_ms",
    "mail.accepted",
    "mail.matched",
    "identity.login.rps",
    "identity.login.p99_ms",
    "locust.rps",
    "locust.p50_ms",
    "locust.p99_ms",
    "locust.failures",
    "billing.invoices_per_s",
    "billing.peak_rss_mb",
    "footprint.total.after_start_mb",
    "footprint.total.after_load_mb",
    *[
        f"footprint.{app}_{role}.{phase}_mb"
        for app in SERVICES
        for role in ("api", "worker")
        for phase in ("after_start", "after_load")
    ],
    "footprint.gateway_api.after_start_mb",
    "footprint.gateway_api.after_load_mb",
]
#: The scaling curves of issue 20: on the stack (``bench/scaling_stack.py``), then without it.
CURVES = [
    "scaling.catalog.lineup_rps",
    "scaling.catalog.service_rps",
    "scaling.mail.p99_ms",
    "scaling.ordering.place_rps",
    "scaling.ordering.place_p99_ms",
    "scaling.billing.run_seconds",
    "scaling.billing.peak_rss_mb",
    "scaling.identity.member_search.median_ms",
    "scaling.identity.member_search.p99_ms",
]
CONTRACTS = (20, 40, 80)
EXPECTED += [f"{curve}.exponent" for curve in CURVES]
#: Targets the issue sets (ratio to a ceiling, or a bound): each such figure is judged.
JUDGED = [
    *[f"catalog.{e}.{k}" for e in ENDPOINTS for k in ("direct.rps", "gateway.rps")],
    *[f"catalog.{e}.half_max.p99_ms" for e in ENDPOINTS],
    "ordering.place.rps",
    "ordering.half_max.p99_ms",
    "mail.p50_ms",
    "mail.p99_ms",
    "mail.accepted",
    "mail.matched",
    "billing.invoices_per_s",
    "billing.peak_rss_mb",
]


def _environment(infra: Infra, results: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    tag = "bench"
    env.update(
        BENCH_RESULTS_DIR=str(results),
        BENCH_POSTGRES_DSN=infra.postgres_dsn,
        BENCH_REDIS_URL=infra.redis_url,
        BENCH_SECONDS="1",
        BENCH_WARMUP_SECONDS="0",
        BENCH_MEMBERS="3",
        BENCH_ORDER_RATE="3",
        BENCH_STEADY_SECONDS="1",
        BENCH_MAIL_TIMEOUT="60",
        BENCH_HASH_SECONDS="0.2",
        BENCH_LOCUST_USERS="3",
        BENCH_LOCUST_SPAWN_RATE="3",
        BENCH_LOCUST_SECONDS="1",
        BENCH_CONTRACTS="20",
        BENCH_CONNECTIONS="4",
        BENCH_SCALING_CONTRACTS=",".join(str(n) for n in CONTRACTS),
        BENCH_SCALING_MEMBERS="20,40",
        BENCH_SCALING_SEARCH_RUNS="2",
        BENCH_SCALING_SERVICES="8,12",
        BENCH_SCALING_SECONDS="1",
        BENCH_SCALING_MAIL_RATES="2,4",
        BENCH_SCALING_MAIL_SECONDS="1",
        BENCH_SCALING_ORDERS="50,100",
        # This run's own databases, exchange, queues and Redis keys (removed with the run's).
        DEVRUN_DB_PREFIX=f"t_{infra.run_id}_{tag}_",
        DEVRUN_NAMESPACE=f"{infra.redis_namespace}:{tag}",
        GATEWAY_REDIS_URL=infra.redis_url,
        GATEWAY_REDIS_NAMESPACE=f"{infra.redis_namespace}:{tag}",
        DEVRUN_SEED="1",
    )
    for app in SERVICES:
        prefix = app.upper() + "_"
        env[prefix + "AMQP_URL"] = infra.amqp_url
        env[prefix + "REDIS_URL"] = infra.redis_url
        env[prefix + "EVENT_EXCHANGE"] = f"{infra.exchange}.{tag}"
        env[prefix + "QUEUE_PREFIX"] = f"{infra.queue_prefix}.{tag}"
        env[prefix + "REDIS_NAMESPACE"] = f"{infra.redis_namespace}:{tag}"
        env[prefix + "DB_POOL_SIZE"] = "2"
    return env


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


async def test_bench_suite_produces_every_figure(infra: Infra, tmp_path: Path) -> None:
    import asyncio

    results = tmp_path / "results"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench",
        cwd=ROOT,
        env=_environment(infra, results),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 1500)
    output = out.decode(errors="replace")
    assert process.returncode == 0, output[-5000:]

    summaries = sorted(results.glob("*.json"))
    assert len(summaries) == 1, (summaries, output[-3000:])
    body = json.loads(summaries[0].read_text())
    by_id = {f["id"]: f for f in body["figures"]}
    missing = [figure for figure in EXPECTED if figure not in by_id]
    assert not missing, f"figures missing: {missing}"
    not_numbers = {f["id"]: f["value"] for f in body["figures"] if not _numeric(f["value"])}
    assert not not_numbers, not_numbers
    for figure in JUDGED:
        assert by_id[figure]["target"], figure
        assert isinstance(by_id[figure]["pass"], bool), figure
    for figure in body["figures"]:
        if figure["ceiling"] is not None:
            assert _numeric(figure["ceiling_value"]) and figure["ceiling_value"] > 0, figure
            assert _numeric(figure["ratio"]), figure
    assert by_id["ordering.place.rps"]["ceiling"] == "db write"
    assert by_id["catalog.services.direct.rps"]["ceiling"] == "framework"
    assert by_id["catalog.services.gateway.rps"]["ceiling"] == "two-hop"
    # Real load went through: orders were placed and their mails arrived, logins worked.
    assert by_id["ordering.place.rps"]["value"] > 0
    assert by_id["mail.matched"]["value"] == 1.0
    assert body["raw"]["billing"]["invoices_issued"] == 20
    # The mail time split by hop, from the stack's own outbox and delivery rows.
    hops = body["raw"]["ordering"]["confirmation_mail_hops"]
    # (a delivery's "sent" commits just after its mail arrives: the last one may be missing)
    assert hops["orders"] >= 1, hops
    timed = [hop for hop in hops.values() if isinstance(hop, dict) and "p99_ms" in hop]
    assert len(timed) == 5 and all(_numeric(hop["p99_ms"]) for hop in timed), hops
    assert body["machine"]["nproc"] >= 1 and body["machine"]["cpu_model"]

    markdown = summaries[0].with_suffix(".md").read_text()
    for figure in body["figures"]:
        assert figure["label"] in markdown, figure["label"]

    # Every scaling curve: its points are numbers, its exponent a figure, its plot a PNG
    # beside the summary and shown in it.
    scaling = body["raw"]["scaling"]
    assert "error" not in scaling, scaling["error"]
    curves = {curve["id"]: curve for curve in scaling["curves"]}
    assert sorted(curves) == sorted(CURVES)
    stem = body["measured_at"][:10]
    assert "## How cost grows with the work" in markdown
    for curve_id, curve in curves.items():
        assert len(curve["points"]) >= 2, curve
        assert all(_numeric(x) and _numeric(y) for x, y in curve["points"]), curve
        assert curve["expect"] in ("linear", "flat"), curve
        assert _numeric(by_id[f"{curve_id}.exponent"]["value"]), curve_id
        png = results / f"{stem}-{curve_id}.png"
        assert png.read_bytes().startswith(b"\x89PNG"), png
        assert f"]({png.name})" in markdown, png.name
    issued = [run["invoices_issued"] for run in scaling["billing_runs"]]
    assert issued == list(CONTRACTS)
