"""Where a missed target's time goes: py-spy samples of the hot process under the same load.

With ``BENCH_PROFILE=1`` the suite re-runs the load of each figure that missed
its target while ``py-spy record`` samples the process serving it (the catalog
API for catalog reads, the gateway for reads through it, the ordering API for
orders) for ``BENCH_PROFILE_SECONDS``, and keeps the functions with the most
samples (inclusive: the function and what it called), leaving out the
server's and framework's plumbing frames that every request passes through.
py-spy needs ptrace rights on the process (root, or the same user with
``kernel.yama.ptrace_scope`` 0); without them the profile says why it is empty.
"""

from __future__ import annotations

import asyncio
import collections
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

SECONDS = float(os.environ.get("BENCH_PROFILE_SECONDS", "10"))
ENABLED = os.environ.get("BENCH_PROFILE") == "1"
#: Frames every request passes through whatever it does: not the answer to "where".
_PLUMBING = (
    " (uvicorn/",
    " (starlette/",
    " (fastapi/",
    " (asyncio/",
    " (<frozen runpy>",
    " (servicekit/cli.py",
    "__main__.py:",
    " (anyio/",
    " (contextlib.py",
    "greenlet_spawn",
)


def _py_spy() -> list[str] | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return [found] if Path(found).exists() else None


#: A main-thread sample whose innermost Python frame is one of these is the event
#: loop waiting for I/O (uvloop's run is native code): idle, not work.
_IDLE_LEAVES = ("Runner.run (asyncio/runners.py", "run_until_complete (asyncio/base_events.py")


def hot_frames(raw: str, top: int = 15) -> dict[str, Any]:
    """The frames with the largest inclusive share of the main thread's busy samples in
    py-spy's raw output (other threads, e.g. exporters waiting on a queue, and the event
    loop's idle waits are left out; their shares are reported)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    stacks: list[tuple[list[str], int]] = []
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([f for f in stack.split(";") if f], int(count)))
    all_samples = sum(n for _, n in stacks)
    main = [(f, n) for f, n in stacks if any("_run_module_as_main" in x for x in f)] or stacks
    idle = sum(n for f, n in main if f and f[-1].startswith(_IDLE_LEAVES))
    busy = [(f, n) for f, n in main if f and not f[-1].startswith(_IDLE_LEAVES)]
    total = sum(n for _, n in busy)
    for frames, n in busy:
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    summary: dict[str, Any] = {
        "samples": all_samples,
        "main_thread_busy_samples": total,
        "main_thread_idle_share": round(100 * idle / max(1, idle + total), 1),
        "inclusive": [],
        "self": [],
    }
    if not total:
        return summary

    def listed(counter: collections.Counter[str], skip_plumbing: bool) -> list[list[Any]]:
        rows = []
        for frame, n in counter.most_common():
            if skip_plumbing and any(p in frame for p in _PLUMBING):
                continue
            rows.append([round(100 * n / total, 1), frame])
            if len(rows) == top:
                break
        return rows

    summary["inclusive"] = listed(inclusive, True)
    summary["self"] = listed(own, False)[:10]
    return summary


async def profile(pid: int, load: Awaitable[Any]) -> dict[str, Any]:
    """Sample ``pid`` for :data:`SECONDS` while ``load`` runs; the hot frames."""
    return (await profile_many({"": pid}, load))[""]


async def profile_many(pids: dict[str, int], load: Awaitable[Any]) -> dict[str, dict[str, Any]]:
    """Sample each of ``pids`` (label → pid) at once for :data:`SECONDS` while ``load``
    runs; the hot frames of each."""
    py_spy = _py_spy()
    if py_spy is None:
        return {label: {"error": "py-spy not installed", "samples": 0} for label in pids}
    with tempfile.TemporaryDirectory(prefix="bizmall-profile-") as work:
        outs = {label: Path(work) / f"raw-{n}.txt" for n, label in enumerate(pids)}
        load_task = asyncio.ensure_future(load)
        await asyncio.sleep(1)  # past the load's ramp-up
        processes = {
            label: await asyncio.create_subprocess_exec(
                *py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, round(SECONDS))),
                "--rate",
                "100",
                "--format",
                "raw",
                "--output",
                str(outs[label]),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            for label, pid in pids.items()
        }
        said = {label: (await p.communicate())[0] for label, p in processes.items()}
        await load_task
        found: dict[str, dict[str, Any]] = {}
        for label, process in processes.items():
            out = outs[label]
            if process.returncode != 0 or not out.exists():
                error = said[label].decode(errors="replace")[-500:]
                found[label] = {"error": error, "samples": 0}
            else:
                frames = hot_frames(out.read_text())
                found[label] = {"pid": pids[label], "seconds": SECONDS, **frames}
        return found


def pid_of(devrun_pid: int | None, command: str) -> int | None:
    """The pid of the stack's first process running ``python -m <command>``."""
    if devrun_pid is None:
        return None
    import psutil

    wanted = command.split()
    for process in psutil.Process(devrun_pid).children(recursive=True):
        try:
            args = process.cmdline()
        except psutil.Error:
            continue
        if "-m" in args and args[args.index("-m") + 1 :][: len(wanted)] == wanted:
            return int(process.pid)
    return None


async def profile_gaps(stack: Any, results: dict[str, Any], prepared: Any) -> dict[str, Any]:
    """A profile of the serving process for each throughput figure that missed its target."""
    from bench import bench_catalog, bench_ordering
    from bench.load import closed_loop, get_load, open_loop
    from bench.summary import ENDPOINTS, figures

    missed = {f["id"] for f in figures(results) if f["pass"] is False}
    found: dict[str, Any] = {}
    catalog = results.get("catalog")
    if catalog is not None:
        for endpoint, key in ENDPOINTS.items():
            path = catalog["paths"][endpoint]
            for target, command, base in (
                ("direct", "catalog api", stack.service_url("catalog")),
                ("gateway", "gateway api", stack.gateway_url),
            ):
                if f"catalog.{key}.{target}.rps" not in missed:
                    continue
                pid = pid_of(stack.devrun_pid, command)
                if pid is None:
                    continue
                load = get_load(
                    base + path, connections=bench_catalog.CONNECTIONS, seconds=SECONDS + 2
                )
                label = f"{endpoint} {target}: {command}"
                print(f"profiling {label} (pid {pid}) ...", flush=True)
                found[label] = await profile(pid, load)
    if "ordering.place.rps" in missed and prepared is not None:
        members, body = prepared
        pid = pid_of(stack.devrun_pid, "ordering api")
        if pid is not None:
            load = closed_loop(
                bench_ordering.placer(stack.gateway_url, members, body, {}),
                connections=len(members),
                seconds=SECONDS + 2,
                ok=frozenset({201}),
            )
            label = "POST /orders: ordering api"
            print(f"profiling {label} (pid {pid}) ...", flush=True)
            found[label] = await profile(pid, load)
    if "mail.p99_ms" in missed and prepared is not None:
        # The mail path after the 201: ordering's worker (outbox relay) and
        # notification's (consumer, sender), sampled together at the paced rate.
        members, body = prepared
        pids = {
            f"201 → mail at {bench_ordering.RATE:g}/s: {command}": pid
            for command in ("ordering worker", "notification worker")
            if (pid := pid_of(stack.devrun_pid, command)) is not None
        }
        if pids:
            load = open_loop(
                bench_ordering.placer(stack.gateway_url, members, body, {}),
                rate=bench_ordering.RATE,
                seconds=SECONDS + 2,
                members=len(members),
                ok=frozenset({201}),
            )
            print(f"profiling {', '.join(pids)} ...", flush=True)
            found.update(await profile_many(pids, load))
    return found
