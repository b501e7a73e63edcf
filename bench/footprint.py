"""Memory of the stack's processes: the resident set size (RSS) of each and in all.

Every process of a benchmark stack is a child of its devrun supervisor
(``python -m <app> api|worker`` and the gateway, plus uvicorn's worker
processes when ``WORKERS`` > 1), so the supervisor's process tree is the stack.
Each process is named by its command (``catalog api``); replicas get ``#2``...
"""

from __future__ import annotations

import contextlib
from typing import Any

import psutil

#: The issue's target per process, MB (the billing worker during a run: 300 MB).
TARGET_MB = 150.0


def _name(process: psutil.Process) -> str:
    args = process.cmdline()
    if "-m" in args:
        at = args.index("-m")
        return " ".join(args[at + 1 : at + 3])
    return process.name()


def stack_rss(devrun_pid: int) -> dict[str, float]:
    """RSS in MB of the supervisor and every process under it, by name."""
    root = psutil.Process(devrun_pid)
    sizes: dict[str, float] = {}
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            name = "devrun supervisor" if process.pid == devrun_pid else _name(process)
            key, number = name, 1
            while key in sizes:
                number += 1
                key = f"{name} #{number}"
            sizes[key] = round(process.memory_info().rss / 2**20, 1)
    return dict(sorted(sizes.items()))


def footprint(after_start: dict[str, float], after_load: dict[str, float]) -> dict[str, Any]:
    """Both snapshots, their totals and the largest process after the load."""
    largest = max(after_load.items(), key=lambda item: item[1]) if after_load else ("", 0.0)
    return {
        "after_start_mb": after_start,
        "after_load_mb": after_load,
        "total_after_start_mb": round(sum(after_start.values()), 1),
        "total_after_load_mb": round(sum(after_load.values()), 1),
        "largest_after_load": {"process": largest[0], "mb": largest[1]},
        "target_per_process_mb": TARGET_MB,
    }
