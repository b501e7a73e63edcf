"""Child processes of local mode: started in their own process groups, output
prefixed with their names, and all stopped together.

Each child leads a new session (so a new process group): a terminal's Ctrl-C
reaches only the supervisor, which then stops every group with SIGTERM and,
after a grace period, SIGKILL. Signalling the group rather than the child also
stops what the child started itself (uvicorn's worker processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from typing import TextIO

from devrun.plan import Proc

_COLOURS = (31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96)


class ChildFailed(RuntimeError):
    """A child the stack needs exited (or a one-shot child failed)."""

    def __init__(self, name: str, returncode: int | None) -> None:
        super().__init__(f"{name} exited with status {returncode}")
        self.name = name
        self.returncode = returncode


@dataclass
class Child:
    """A started child process and the task copying its output."""

    proc: Proc
    process: asyncio.subprocess.Process
    pump: asyncio.Task[None]
    one_shot: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Supervisor:
    """Starts children, relays their output and stops them all.

    Children inherit this process's environment plus their :attr:`Proc.env`.
    """

    out: TextIO = sys.stdout
    grace_seconds: float = 10.0
    width: int = 20
    children: list[Child] = field(default_factory=list)

    async def start(self, proc: Proc, *, one_shot: bool = False) -> Child:
        """Start ``proc`` in a new process group with its output relayed."""
        process = await asyncio.create_subprocess_exec(
            *proc.argv,
            env={**os.environ, **proc.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        assert process.stdout is not None
        pump = asyncio.create_task(self._relay(proc.name, process.stdout))
        child = Child(proc=proc, process=process, pump=pump, one_shot=one_shot)
        self.children.append(child)
        return child

    async def run_once(self, proc: Proc) -> None:
        """Run a one-shot ``proc`` (migrate, seed) to its end; raise if it fails."""
        child = await self.start(proc, one_shot=True)
        returncode = await child.process.wait()
        await child.pump
        self.children.remove(child)
        if returncode != 0:
            raise ChildFailed(proc.name, returncode)

    async def first_exit(self) -> Child:
        """Wait until a long-running (not one-shot) child exits and return it."""
        waits = {
            asyncio.ensure_future(c.process.wait()): c for c in self.children if not c.one_shot
        }
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in waits:
                future.cancel()
        return waits[next(iter(done))]

    async def stop_all(self) -> None:
        """SIGTERM every child's process group, SIGKILL what outlives the grace period."""
        children, self.children = self.children, []
        for child in children:
            _signal_group(child.pid, signal.SIGTERM)
        waits = [asyncio.ensure_future(c.process.wait()) for c in children]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=self.grace_seconds)
            for future in pending:
                future.cancel()
        for child in children:
            # Also reaches grandchildren left in the group after their parent exited.
            _signal_group(child.pid, signal.SIGKILL)
        for child in children:
            await child.process.wait()
            # A process that left the group may still hold the pipe; don't wait on it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.pump, timeout=2.0)

    def say(self, name: str, line: str) -> None:
        """Write one line under ``name``'s prefix."""
        self.out.write(f"{self._prefix(name)} | {line}\n")
        self.out.flush()

    async def _relay(self, name: str, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.say(name, line.decode(errors="replace").rstrip("\r\n"))

    def _prefix(self, name: str) -> str:
        label = name.ljust(self.width)
        if not self.out.isatty():
            return label
        colour = _COLOURS[sum(name.encode()) % len(_COLOURS)]
        return f"\033[{colour}m{label}\033[0m"


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def stop_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (the supervisor then stops its children)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    return stopping
