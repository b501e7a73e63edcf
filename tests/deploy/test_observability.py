"""The Compose profile ``observability`` (deploy/observability): Prometheus scrapes
every app where it serves ``/metrics``, the dashboard and alerts use only
metrics the apps export, and traces go app → collector → Jaeger only when the
standard OpenTelemetry variables ask for it. Read without a Docker engine."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from devrun.plan import APPS, SERVICES
from servicekit import metrics, tracing

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
PROFILE_SERVICES = {"prometheus", "grafana", "otel-collector", "jaeger"}
#: What the issue asks to watch, as metric families (the dashboard shows each).
WATCHED = (
    "bizmall_http_requests_total",
    "bizmall_http_request_duration_seconds",
    "bizmall_outbox_backlog",
    "bizmall_outbox_oldest_unsent_age_seconds",
    "bizmall_consumer_processing_seconds",
    "bizmall_consumer_failures_total",
    "bizmall_dead_letters",
    "bizmall_email_send_failures_total",
    "bizmall_billing_run_duration_seconds",
)
_METRIC = re.compile(r"\b((?:bizmall|process)_[a-z_]+)\b")


def prefix(app: str) -> str:
    return str(importlib.import_module(f"{app}.config").Settings.model_config["env_prefix"])


def exported_series() -> set[str]:
    """Every series name the apps' registry can expose (services' own metrics included)."""
    importlib.import_module("notification.service_layer.sender")
    importlib.import_module("billing.service_layer.billing_run")
    names = {"up"}
    for family in metrics.REGISTRY.collect():
        if family.type == "counter":
            names |= {f"{family.name}_total", f"{family.name}_created"}
        elif family.type == "histogram":
            names |= {f"{family.name}{s}" for s in ("_bucket", "_sum", "_count", "_created")}
        else:
            names.add(family.name)
    return names


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_the_profile_adds_prometheus_grafana_a_collector_and_jaeger(deploy: Any) -> None:
    in_profile = {n: s["profiles"] for n, s in deploy.services.items() if s.get("profiles")}
    assert set(in_profile) == PROFILE_SERVICES
    assert all(profiles == ["observability"] for profiles in in_profile.values())
    # Without the profile nothing may wait for one of them (Compose would refuse to start).
    for name, spec in deploy.services.items():
        if name not in PROFILE_SERVICES:
            assert not set(spec.get("depends_on") or {}) & PROFILE_SERVICES, name


def test_every_file_the_profile_mounts_is_in_the_repository(deploy: Any) -> None:
    mounted = [
        volume.split(":")[0]
        for name in PROFILE_SERVICES
        for volume in deploy.services[name].get("volumes", [])
        if volume.startswith("./")
    ]
    assert mounted
    for source in mounted:
        assert (REPO / source).exists(), source


def test_prometheus_scrapes_every_api_and_worker_on_its_metrics_port(deploy: Any) -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    targets: dict[str, set[tuple[str, int]]] = {}
    for job in config["scrape_configs"]:
        found = targets.setdefault(job["job_name"], set())
        for sd in job.get("dns_sd_configs", []):
            assert sd["type"] == "A"  # every replica of a scaled service is a target
            found |= {(name, int(sd["port"])) for name in sd["names"]}
    expected: dict[str, set[tuple[str, int]]] = {}
    for app in APPS:
        env = deploy.container_env(app)
        # The gateway serves /metrics on its own port, never on the public one.
        port = "METRICS_PORT" if app == "gateway" else "PORT"
        expected[app] = {(app, int(env[prefix(app) + port]))}
    for app in SERVICES:
        env = deploy.container_env(f"{app}-worker")
        port = int(env[prefix(app) + "WORKER_METRICS_PORT"])
        expected[f"{app}-worker"] = {(f"{app}-worker", port)}
        # The worker's healthcheck probes that same server.
        probe = " ".join(deploy.services[f"{app}-worker"]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in probe
    assert targets == expected
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    mounts = deploy.services["prometheus"]["volumes"]
    assert "./deploy/observability/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_the_dashboard_shows_every_watched_metric_and_only_exported_ones() -> None:
    dashboard = json.loads((OBSERVABILITY / "grafana" / "dashboards" / "bizmall.json").read_text())
    used = {name for expr in expressions(dashboard) for name in _METRIC.findall(expr)}
    assert used <= exported_series(), sorted(used - exported_series())
    for family in WATCHED:
        assert any(name.startswith(family) for name in used), f"no panel shows {family}"
    assert all(
        t["datasource"]["uid"] == "prometheus"
        for p in dashboard["panels"]
        for t in p.get("targets", [])
    )


def test_alerts_use_only_exported_metrics() -> None:
    rules = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert len(exprs) >= 5
    used = {name for expr in exprs for name in _METRIC.findall(expr)}
    assert used <= exported_series(), sorted(used - exported_series())
    for watched in ("outbox_oldest_unsent_age", "dead_letters", "email_send_failures"):
        assert any(watched in expr for expr in exprs), watched


def test_grafana_is_provisioned_with_prometheus_jaeger_and_the_dashboard(deploy: Any) -> None:
    provisioning = OBSERVABILITY / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "datasources.yaml").read_text())
    by_uid = {s["uid"]: s for s in sources["datasources"]}
    assert set(by_uid) == {"prometheus", "jaeger"}
    for source in by_uid.values():
        url = urlsplit(source["url"])
        assert url.hostname in deploy.services, source["url"]
    providers = yaml.safe_load((provisioning / "dashboards" / "bizmall.yaml").read_text())
    (provider,) = providers["providers"]
    mounts = dict(v.split(":")[:2][::-1] for v in deploy.services["grafana"]["volumes"])
    folder = mounts[provider["options"]["path"]]
    assert (REPO / folder / "bizmall.json").exists()


def test_traces_are_off_by_default_and_reach_jaeger_through_the_collector(
    deploy: Any,
) -> None:
    collector = yaml.safe_load((OBSERVABILITY / "otel-collector.yaml").read_text())
    for app in APPS:
        env = deploy.container_env(app)
        # The demo stack sends nothing: the endpoint variable defaults to empty.
        assert tracing.wanted(env) is None, app
        asked = {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4318"}
        assert tracing.wanted(asked) == "otlp"
        endpoint = urlsplit(tracing.traces_endpoint(asked))
        assert endpoint.hostname in deploy.services
        assert endpoint.path == "/v1/traces"
    http = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert http.endswith(":4318")
    pipeline = collector["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    (exporter,) = pipeline["exporters"]
    target = collector["exporters"][exporter]["endpoint"]
    assert target.split(":")[0] == "jaeger" and "jaeger" in deploy.services
    assert deploy.services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
