"""Each app's Dockerfile, replayed without Docker: its build context (after
.dockerignore) is copied, its uv commands run as written into a fresh virtual
environment, and the image's command must then start from that environment.
The five services share services/Dockerfile, replayed once per value of its
build argument ``SERVICE``.

A Dockerfile that names the wrong package, forgets a file the install needs, or
runs a command its package does not have fails here, long before someone runs
``docker compose up --build``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devrun.plan import APPS

#: Tools of the build that must not reach the runtime image.
BUILD_TOOLS = ("apt-get", "apk", "pip ", "uv ", "gcc", "npm")
#: A shell running one command in its place: how a CMD names the module from a variable.
SHELL = ["/bin/sh", "-c"]


def image_command(stage: Any) -> list[str]:
    """The command a container of the image runs: its CMD, or the command its shell
    ``exec``s, with the image's variables expanded as the shell would."""
    cmd = stage.all("CMD")[-1].exec_form()
    if cmd[:2] != SHELL:
        return cmd
    env = stage.env()

    def value(match: re.Match[str]) -> str:
        assert match[1] in env, f"the image does not set ${match[1]}"
        return env[match[1]]

    assert len(cmd) == 3, cmd
    word, *argv = shlex.split(re.sub(r"\$\{?(\w+)\}?", value, cmd[2]))
    # exec: Python replaces the shell and receives the container's signals itself.
    assert word == "exec", cmd
    return argv


def replay_install(dockerfile: Any, context: Path, root: Path) -> Path:
    """Run the install stage's uv commands as written; return the environment they made."""
    stage = dockerfile.installer()
    env_vars = stage.env()
    venv_in_image = env_vars["UV_PROJECT_ENVIRONMENT"]
    venv = root / "venv"
    workdir = stage.all("WORKDIR")[-1].value
    for copy in stage.all("COPY"):
        if "from" in copy.flags:
            continue
        source, destination = copy.value.split()
        # The whole context lands in the work folder; nothing else is supported.
        assert (source, destination) in {(".", "."), (".", workdir)}, copy.value
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update({k: v.replace(venv_in_image, str(venv)) for k, v in env_vars.items()})
    # Compiling .pyc files changes when Python reads bytecode, not what is
    # installed, and would make this test five times slower.
    env["UV_COMPILE_BYTECODE"] = "0"
    for run in stage.all("RUN"):
        argv = shlex.split(run.value)
        assert argv[0] == "uv", f"the test can replay uv commands only: {run.value}"
        result = subprocess.run(argv, cwd=context, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    return venv


@pytest.mark.parametrize("app", APPS)
def test_dockerfile_installs_a_package_whose_command_starts(
    deploy: Any, build_context: Path, tmp_path: Path, app: str
) -> None:
    dockerfile = deploy.dockerfiles[app]
    final = dockerfile.final
    installer = dockerfile.installer()
    venv_in_image = installer.env()["UV_PROJECT_ENVIRONMENT"]

    cmd = image_command(final)
    assert cmd == ["python", "-m", app, "api"]
    copies = [c for c in final.all("COPY") if c.flags.get("from") == installer.name]
    assert [c.value.split() for c in copies] == [[venv_in_image, venv_in_image]]
    assert final.env()["PATH"].startswith(f"{venv_in_image}/bin:")

    venv = replay_install(dockerfile, build_context, tmp_path)
    python = venv / "bin" / "python"
    started = subprocess.run(
        [str(python), "-I", *cmd[1:3], "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert started.returncode == 0, started.stderr
    assert "api" in started.stdout

    others = [name for name in (*APPS, "pytest", "devrun") if name != app]
    probe = "import importlib.util as u, sys; print([n for n in sys.argv[1:] if u.find_spec(n)])"
    found = subprocess.run(
        [str(python), "-I", "-c", probe, *others], capture_output=True, text=True, cwd=tmp_path
    )
    # Only this app (and the shared libraries) is in its image: no other service,
    # no test tools, no local-mode runner.
    assert found.stdout.strip() == "[]"


@pytest.mark.parametrize("app", APPS)
def test_runtime_image_is_slim_and_runs_as_an_unprivileged_user(deploy: Any, app: str) -> None:
    final = deploy.dockerfiles[app].final
    assert final.base.startswith("python:3.11-slim")
    users = final.all("USER")
    assert users and users[-1].value not in {"root", "0"}
    for run in final.all("RUN"):
        assert not any(tool in run.value for tool in BUILD_TOOLS), run.value
