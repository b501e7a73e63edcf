"""Readers of compose.yaml, the Dockerfiles and .dockerignore for the deploy tests.

No Docker engine is needed: the tests read the files the way Docker would and
replay what they can (the install commands, the settings the containers get).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from devrun.plan import APPS

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Instruction:
    """One Dockerfile instruction: keyword, its ``--flags`` and the rest of the line."""

    keyword: str
    flags: dict[str, str]
    value: str

    def exec_form(self) -> list[str]:
        """The JSON (exec) form of CMD/ENTRYPOINT."""
        parsed = json.loads(self.value)
        assert isinstance(parsed, list), f"{self.keyword} is not in exec form: {self.value}"
        return [str(part) for part in parsed]


@dataclass
class Stage:
    """One ``FROM`` stage of a Dockerfile."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """The stage's ``ENV`` variables (``key=value`` form)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.value):
                key, _, value = pair.partition("=")
                values[key] = value
        return values


@dataclass
class Dockerfile:
    """A parsed Dockerfile: its stages in order."""

    path: Path
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def installer(self) -> Stage:
        """The stage that installs the app with uv."""
        found = [s for s in self.stages if any("uv " in i.value for i in s.all("RUN"))]
        assert len(found) == 1, f"{self.path}: expected one stage running uv, found {len(found)}"
        return found[0]


#: ``$NAME`` or ``${NAME}``, the forms of a build argument the Dockerfiles use.
_ARG_REFERENCE = re.compile(r"\$(?:\{(?P<braced>\w+)\}|(?P<bare>\w+))")
#: Instructions Docker does not expand build arguments in: the container's shell does,
#: at run time, when build arguments no longer exist.
_UNEXPANDED = {"CMD", "ENTRYPOINT"}


def _expand(text: str, arguments: Mapping[str, str]) -> str:
    """``text`` with the build arguments in scope replaced by their values."""
    return _ARG_REFERENCE.sub(lambda m: arguments.get(m["braced"] or m["bare"], m[0]), text)


def parse_dockerfile(path: Path, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Parse the subset of Dockerfile syntax the project uses (continuations, flags),
    with ``build_args`` (``--build-arg``) expanded where a stage declares them (``ARG``).

    RUN lines are expanded too: the build's shell sees a declared argument as a
    variable, which for the plain ``$NAME`` forms used comes to the same.
    """
    given = dict(build_args or {})
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    declared: dict[str, str] = {}
    for line in logical:
        keyword, _, rest = line.partition(" ")
        if keyword.upper() not in _UNEXPANDED:
            rest = _expand(rest, declared)
        flags: dict[str, str] = {}
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            key, _, value = flag[2:].partition("=")
            flags[key] = value
            rest = rest.lstrip()
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], name=name))
            declared = {}  # an argument is declared again in each stage that uses it
        else:
            if keyword == "ARG":
                arg, _, default = rest.partition("=")
                declared[arg] = given.get(arg, default)
            stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return Dockerfile(path=path, stages=stages)


def dockerignore_patterns(root: Path = REPO) -> list[str]:
    """The patterns of ``.dockerignore`` (comments and blank lines dropped)."""
    lines = (root / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``relative`` out of the build context (last match wins;
    a pattern matching a folder leaves out everything in it)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            result = not negate
    return result


def copy_build_context(destination: Path, root: Path = REPO) -> None:
    """Copy the files Docker would send as the build context of ``root``."""
    patterns = dockerignore_patterns(root)
    for folder, dirs, files in os.walk(root):
        relative_folder = Path(folder).relative_to(root)
        dirs[:] = [d for d in dirs if not ignored((relative_folder / d).as_posix(), patterns)]
        for name in files:
            relative = (relative_folder / name).as_posix()
            if not ignored(relative, patterns):
                target = destination / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, target)


_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Compose's ``${VAR:-default}`` substitution, applied through a loaded file."""
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"]
        if name in environ:
            return environ[name]
        assert default is not None, f"${{{name}}} has no default: the demo stack needs one"
        return default

    return _INTERPOLATION.sub(replace, value)


@dataclass
class Deploy:
    """compose.yaml (interpolated with its defaults) and the apps' Dockerfiles."""

    raw: dict[str, Any]
    compose: dict[str, Any]
    dockerfiles: dict[str, Dockerfile]

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        services: dict[str, dict[str, Any]] = self.compose["services"]
        return services

    def container_env(self, service: str) -> dict[str, str]:
        """What a container of ``service`` sees: its image's ENV, then compose's."""
        spec = self.services[service]
        env: dict[str, str] = {}
        app = app_of(spec)
        if app is not None:
            env.update(self.dockerfiles[app].final.env())
        env.update({k: str(v) for k, v in (spec.get("environment") or {}).items()})
        return env

    def command(self, service: str) -> list[str]:
        """The command a container of ``service`` runs (compose's, else the image's CMD)."""
        spec = self.services[service]
        if "command" in spec:
            return list(spec["command"])
        app = app_of(spec)
        assert app is not None, f"{service} has no command"
        return self.dockerfiles[app].final.all("CMD")[-1].exec_form()


def app_of(spec: Mapping[str, Any]) -> str | None:
    """The app whose image this compose service builds, if any: the build argument
    ``SERVICE`` of services/Dockerfile, else the folder of the app's own Dockerfile."""
    build = spec.get("build")
    if not build:
        return None
    service = (build.get("args") or {}).get("SERVICE")
    return str(service) if service else Path(build["dockerfile"]).parent.name


@pytest.fixture(scope="session")
def deploy() -> Deploy:
    raw = yaml.safe_load((REPO / "compose.yaml").read_text())
    dockerfiles = {app: parse_dockerfile(dockerfile_path(app), build_args(app)) for app in APPS}
    return Deploy(raw=raw, compose=interpolate(raw, {}), dockerfiles=dockerfiles)


def dockerfile_path(app: str) -> Path:
    """Where an app's Dockerfile lives: the gateway's own, one for the five services."""
    return REPO / ("gateway" if app == "gateway" else "services") / "Dockerfile"


def build_args(app: str) -> dict[str, str]:
    """The build arguments that make ``dockerfile_path(app)`` build ``app``'s image."""
    return {} if app == "gateway" else {"SERVICE": app}


@pytest.fixture
def app_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A function replacing the process environment's app variables with given ones,
    so a settings class reads exactly what a container or child process would."""

    def apply(values: Mapping[str, str]) -> None:
        for name in list(os.environ):
            if name.split("_", 1)[0].lower() in APPS:
                monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    yield apply


@pytest.fixture(scope="session")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as Docker sends it to the builder (after .dockerignore)."""
    context = tmp_path_factory.mktemp("context")
    copy_build_context(context)
    return context
