"""Processes and ports on this machine: whether a process lives, what runs below it,
and waiting for a server's port to open or close."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from devrun.smtp_sink import listening
from servicekit.testing.helpers import eventually

HOST = "127.0.0.1"


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie awaiting its reaper is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: children, grandchildren and so on."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = list(children.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending += children.get(child, [])
    return found


async def wait_for_port(port: int, *, up: bool = True, timeout: float = 30) -> None:
    """Wait until something accepts connections on ``127.0.0.1:port`` (``up=False``:
    until nothing does any more)."""

    async def reached() -> bool:
        return await asyncio.to_thread(listening, HOST, port) is up

    try:
        await eventually(reached, timeout=timeout)
    except AssertionError:
        state = "listening" if up else "closed"
        raise AssertionError(f"{HOST}:{port} not {state} within {timeout:g}s") from None


async def create_operator(env: Mapping[str, str], *, tag: str) -> tuple[str, str]:
    """A new operator of a stack's own (``python -m identity create-ops`` with the stack's
    environment ``env``): its login ID and password. Its first login enrols the second
    factor, so a test knows the secret (the demo operator's belongs to the stack)."""
    email = f"ops-{tag}-{uuid.uuid4().hex[:8]}@bizmall.example"
    password = f"test-ops-{tag}-password-2024"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "identity",
        "create-ops",
        "--email",
        email,
        "--password",
        password,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return email, password
