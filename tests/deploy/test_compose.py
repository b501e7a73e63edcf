"""compose.yaml against the compose specification, the Dockerfiles and the
settings each app reads: what ``docker compose up --build`` would start,
checked without a Docker engine."""

from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from devrun.plan import APPS, SERVICES

HERE = Path(__file__).parent
ROLES = ("migrate", "worker", "seed")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: Addresses a browser on the host opens (links in emails): the published gateway.
PUBLIC = {"notification": {"web_base_url"}}
PUBLIC_URL = "http://localhost:8000"
#: Settings holding a secret end so; a secret the code ships a default for must
#: be set in compose, where a deployer sees it.
SECRET_SUFFIXES = ("secret", "_key", "password")
#: Published host ports: nothing else may reach the host. Only the gateway is
#: public; the UIs (demo credentials or none) listen on the host's loopback.
PUBLISHED = {
    "gateway": ["8000:8000"],
    "mailpit": ["127.0.0.1:8025:8025"],
    "rabbitmq": ["127.0.0.1:15672:15672"],
}
#: ... and, with the profile `observability`, the UIs of Prometheus, Grafana and Jaeger.
OBSERVABILITY_PUBLISHED = {
    "prometheus": ["127.0.0.1:9090:9090"],
    "grafana": ["127.0.0.1:3000:3000"],
    "jaeger": ["127.0.0.1:16686:16686"],
}
#: Services without a healthcheck although others may wait for them: the
#: collector's image has no shell or HTTP client to probe with.
UNPROBED = {"otel-collector"}
#: Settings an app inherits from ServiceSettings but never uses, so compose
#: need not set them: the gateway has no database, no broker and no events.
UNUSED = {"gateway": {"database_url", "amqp_url", "event_secret_key"}}


def settings_class(app: str) -> Any:
    return importlib.import_module(f"{app}.config").Settings


def prefix(app: str) -> str:
    return str(settings_class(app).model_config["env_prefix"])


def containers_of(app: str) -> list[str]:
    roles = ("",) if app == "gateway" else ("", *(f"-{r}" for r in ROLES))
    return [app + role for role in roles]


def test_compose_file_follows_the_compose_specification(deploy: Any) -> None:
    validator = jsonschema.Draft7Validator(json.loads((HERE / "compose-spec.json").read_text()))
    validator.validate(deploy.raw)
    # The schema has teeth: a misspelt condition is refused.
    broken = copy.deepcopy(deploy.raw)
    broken["services"]["gateway"]["depends_on"]["redis"]["condition"] = "healthy"
    assert not validator.is_valid(broken)


def test_only_the_gateway_mailpit_ui_and_rabbitmq_ui_are_published(deploy: Any) -> None:
    published = {
        name: spec["ports"]
        for name, spec in deploy.services.items()
        if "ports" in spec and not spec.get("profiles")
    }
    assert published == PUBLISHED
    in_profiles = {
        name: spec["ports"]
        for name, spec in deploy.services.items()
        if "ports" in spec and spec.get("profiles")
    }
    assert in_profiles == OBSERVABILITY_PUBLISHED


def test_item13_every_published_port_but_the_gateways_is_bound_to_loopback(
    deploy: Any,
) -> None:
    # Mailpit shows every verification and reset link; RabbitMQ's, Grafana's,
    # Prometheus's and Jaeger's UIs carry demo credentials or none (issue 19, item 13).
    for name, spec in deploy.services.items():
        for published in spec.get("ports", []):
            if name == "gateway":
                continue
            text = published if isinstance(published, str) else published.get("host_ip", "")
            assert str(text).startswith("127.0.0.1:"), (name, published)


def test_item12_gateway_metrics_port_is_set_but_not_published(deploy: Any) -> None:
    env = deploy.container_env("gateway")
    metrics_port = env["GATEWAY_METRICS_PORT"]
    assert int(metrics_port) != int(env["GATEWAY_PORT"])
    assert not any(metrics_port in str(p) for p in deploy.services["gateway"]["ports"])


def test_no_container_name_so_every_service_can_scale(deploy: Any) -> None:
    named = [name for name, spec in deploy.services.items() if "container_name" in spec]
    assert named == []


@pytest.mark.parametrize("app", SERVICES)
def test_each_service_runs_migrate_api_worker_and_seed_from_its_image(
    deploy: Any, app: str
) -> None:
    assert deploy.command(app) == ["python", "-m", app, "api"]
    for role in ROLES:
        assert deploy.command(f"{app}-{role}") == ["python", "-m", app, role]
    builds = {json.dumps(deploy.services[c]["build"]) for c in containers_of(app)}
    # One Dockerfile for the five services; the build argument picks the package.
    expected = {"context": ".", "dockerfile": "services/Dockerfile", "args": {"SERVICE": app}}
    assert builds == {json.dumps(expected)}


def test_gateway_runs_its_api(deploy: Any) -> None:
    assert deploy.command("gateway") == ["python", "-m", "gateway", "api"]
    assert deploy.services["gateway"]["build"] == {
        "context": ".",
        "dockerfile": "gateway/Dockerfile",
    }


def test_identity_documents_live_on_a_volume_the_app_may_write(deploy: Any) -> None:
    folder = deploy.container_env("identity")["IDENTITY_DOCUMENT_STORAGE_DIR"]
    # The API stores and serves the documents, the worker deletes them (R12).
    for container in ("identity", "identity-worker"):
        assert f"identity-documents:{folder}" in deploy.services[container]["volumes"]
    # A fresh named volume takes the owner of the image's folder it is mounted on.
    final = deploy.dockerfiles["identity"].final
    user = final.all("USER")[-1].value
    runs = " && ".join(i.value for i in final.all("RUN"))
    path = re.escape(folder) + r"(?!\S)"
    assert re.search(rf"\bmkdir -p {path}", runs), runs
    assert re.search(rf"\bchown {user} {path}", runs), runs


@pytest.mark.parametrize("app", SERVICES)
def test_migrations_finish_before_the_api_and_worker_start(deploy: Any, app: str) -> None:
    migrate = deploy.services[f"{app}-migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"
    for container in (app, f"{app}-worker"):
        dependency = deploy.services[container]["depends_on"][f"{app}-migrate"]
        assert dependency["condition"] == "service_completed_successfully"


def test_dependencies_wait_for_health_or_completion(deploy: Any) -> None:
    one_shots = {name for name in deploy.services if name.endswith(("-migrate", "-seed"))}
    workers = {name for name in deploy.services if name.endswith("-worker")}
    for name, spec in deploy.services.items():
        if name not in one_shots | workers | UNPROBED:
            assert "healthcheck" in spec, f"{name} has no healthcheck"
        for target, dependency in (spec.get("depends_on") or {}).items():
            condition = dependency["condition"]
            if target in one_shots:
                assert condition == "service_completed_successfully", (name, target)
            elif target in workers | UNPROBED:
                # A worker's probe says it is alive, not that its work is done:
                # what waits for a worker waits for its start.
                assert condition == "service_started", (name, target)
            else:
                assert condition == "service_healthy", (name, target)


@pytest.mark.parametrize("app", APPS)
def test_api_healthcheck_probes_healthz_on_the_port_the_app_listens_on(
    deploy: Any, app: str
) -> None:
    env = deploy.container_env(app)
    probe = " ".join(deploy.services[app]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{env[prefix(app) + 'PORT']}/healthz" in probe
    assert env[prefix(app) + "HOST"] == "0.0.0.0"


@pytest.mark.parametrize("app", SERVICES)
def test_all_containers_of_a_service_get_the_same_settings(deploy: Any, app: str) -> None:
    envs = [deploy.container_env(c) for c in containers_of(app)]
    assert all(env == envs[0] for env in envs)


def test_each_service_has_its_own_database_and_role_made_by_the_init_script(
    deploy: Any,
) -> None:
    postgres = deploy.services["postgres"]
    assert "./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/" in " ".join(
        postgres["volumes"]
    )
    assert postgres["environment"]["BIZMALL_SERVICES"].split() == list(SERVICES)
    seen: set[str] = set()
    for app in SERVICES:
        url = urlsplit(deploy.container_env(app)[prefix(app) + "DATABASE_URL"])
        database = url.path.lstrip("/")
        # The init script names the role and the database bizmall_<service>.
        assert url.username == database == f"bizmall_{app}"
        assert url.password == postgres["environment"][f"{app.upper()}_DB_PASSWORD"]
        assert (url.hostname, url.port) == ("postgres", 5432)
        assert database not in seen
        seen.add(database)


@pytest.mark.parametrize("app", APPS)
def test_container_settings_are_complete_and_point_at_compose_services(
    deploy: Any, app: str, app_environment: Any
) -> None:
    cls = settings_class(app)
    env = deploy.container_env(app)
    fields = cls.model_fields
    # A field with a validation alias is read from that name only, not from the prefix.
    names = {
        name: info.validation_alias
        if isinstance(info.validation_alias, str)
        else prefix(app) + name.upper()
        for name, info in fields.items()
    }
    own = {n: v for n, v in env.items() if n.startswith(prefix(app)) or n in names.values()}

    unknown = sorted(n for n in own if n not in names.values())
    assert unknown == [], f"compose or Dockerfile sets variables {app} does not read"

    app_environment(own)
    settings = cls()
    local = cls.model_construct()
    for name, info in fields.items():
        variable = names[name]
        if info.is_required():
            assert variable in own, f"{variable} is required"
        if name in UNUSED.get(app, ()):
            continue
        if name in PUBLIC.get(app, ()):
            assert getattr(settings, name).rstrip("/") == PUBLIC_URL, variable
            continue
        default = str(getattr(local, name) or "")
        if any(host in default for host in LOOPBACK):
            # Inside a container, 127.0.0.1 is the container itself.
            assert not any(host in str(getattr(settings, name)) for host in LOOPBACK), variable
        if name.endswith(SECRET_SUFFIXES) and default:
            assert variable in own, f"{variable} must be set explicitly in compose"
        for url in _urls(getattr(settings, name)):
            _assert_reaches_a_compose_service(deploy, variable, url)


def test_services_share_the_event_exchange_and_the_secret_key(
    deploy: Any, app_environment: Any
) -> None:
    seen = set()
    for app in SERVICES:
        app_environment(deploy.container_env(app))
        settings = settings_class(app)()
        seen.add((settings.event_exchange, settings.event_secret_key, settings.amqp_url))
    assert len(seen) == 1


def test_gateway_upstreams_are_service_names_so_replicas_are_balanced(
    deploy: Any, app_environment: Any
) -> None:
    app_environment(deploy.container_env("gateway"))
    upstreams = settings_class("gateway")().upstream_urls()
    assert upstreams == {app: [f"http://{app}:8000"] for app in SERVICES}


def _urls(value: object) -> list[str]:
    if not isinstance(value, str) or "://" not in value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _assert_reaches_a_compose_service(deploy: Any, variable: str, url: str) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    assert host in deploy.services, f"{variable}: {host!r} is no compose service"
    if parts.scheme == "http" and "build" in deploy.services[host]:
        port = deploy.container_env(host)[prefix(host) + "PORT"]
        assert parts.port == int(port), f"{variable}: {host} listens on {port}"
