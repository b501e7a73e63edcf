"""Printing a benchmark's table and keeping its figures in ``bench/results/``."""

from __future__ import annotations

import contextlib
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Where results go: ``bench/results/``, or ``BENCH_RESULTS_DIR`` (the smoke test's temporary one).
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).with_name("results"))


#: Units of figures where more is better; for every other (ms, s, MB, failed requests,
#: a cost's exponent) less is.
HIGHER_IS_BETTER = frozenset({"share"})


def higher_is_better(unit: str) -> bool:
    """Whether a larger figure in ``unit`` is the better one: a rate (``req/s``,
    ``invoices/s``) or a share, not a time, a size or a count of failures."""
    return unit.endswith("/s") or unit in HIGHER_IS_BETTER


def table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    """A fixed-width text table."""
    cells = [[str(c) for c in header], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title]
    for number, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or the platform's processor field."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    """The machine's memory (``/proc/meminfo``), GiB."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    load1, load5, _ = os.getloadavg()
    return {
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": memory_gib(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_1m_5m_at_end": [round(load1, 2), round(load5, 2)],
    }


def save(name: str, figures: dict[str, Any]) -> Path:
    """Write ``figures`` (plus the time and machine) to ``results/<name>-<UTC date>.json``."""
    now = datetime.now(UTC)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{now:%Y-%m-%d}.json"
    body = {"benchmark": name, "measured_at": now.isoformat(), "machine": machine(), **figures}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    return path
