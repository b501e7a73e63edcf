"""Load generators: wrk for single-URL GETs when installed, else a bounded aiohttp loop.

Every run is bounded in time (and the aiohttp loop optionally in count) and
only ever targets the URLs it is given (127.0.0.1 in these benchmarks).
Figures come back as a :class:`LoadResult` in requests per second and
milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

_WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass
class LoadResult:
    """Throughput and latency of one load run."""

    tool: str
    connections: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    notes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def wrk_available() -> bool:
    """Whether the ``wrk`` binary is on PATH."""
    return shutil.which("wrk") is not None


async def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    script: Path = _WRK_SCRIPT,
) -> LoadResult:
    """Run wrk against one URL and read the JSON line of ``wrk_report.lua`` (or of a
    ``script`` that includes it)."""
    process = await asyncio.create_subprocess_exec(
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    text = out.decode(errors="replace")
    line = next((x for x in text.splitlines() if x.startswith("BENCH_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    elapsed = figures["duration_us"] / 1e6
    return LoadResult(
        tool="wrk",
        connections=connections,
        seconds=round(elapsed, 2),
        requests=figures["requests"],
        errors=figures["errors"],
        rps=round(figures["requests"] / elapsed, 1),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
    )


#: One request of a worker: given the session and the worker's number, the answer's
#: HTTP status. It may record extra facts itself (ids, timestamps).
Request = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


async def closed_loop(
    request: Request,
    *,
    connections: int,
    seconds: float,
    max_requests: int | None = None,
    ok: frozenset[int] = frozenset({200}),
    tool: str = "aiohttp",
) -> LoadResult:
    """``connections`` workers, each sending ``request`` back to back for ``seconds``
    (or until ``max_requests`` in all); latency of every request, errors counted."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    sent = 0
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker(number: int) -> None:
            nonlocal sent
            while time.perf_counter() < deadline:
                if max_requests is not None and sent >= max_requests:
                    return
                sent += 1
                await _timed(request, session, number, ok, latencies, statuses)

        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - start
    return _result(tool, connections, elapsed, latencies, statuses)


async def open_loop(
    request: Request,
    *,
    rate: float,
    seconds: float,
    members: int,
    ok: frozenset[int] = frozenset({200}),
) -> LoadResult:
    """Start ``request`` at a steady ``rate`` per second for ``seconds`` whatever the
    answers' pace (worker number cycles through ``members``)."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        start = time.perf_counter()
        total = int(rate * seconds)
        tasks = []
        for n in range(total):
            # Scheduled against the clock, so a slow answer does not slow the rate.
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            job = _timed(request, session, n % members, ok, latencies, statuses)
            tasks.append(asyncio.ensure_future(job))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    result = _result("aiohttp-open-loop", members, elapsed, latencies, statuses)
    result.notes["target_rate"] = rate
    return result


async def _timed(
    request: Request,
    session: aiohttp.ClientSession,
    number: int,
    ok: frozenset[int],
    latencies: list[float],
    statuses: Counter[str],
) -> None:
    # The latency of a good answer is kept; every answer's status is counted.
    began = time.perf_counter()
    try:
        status = str(await request(session, number))
    except (aiohttp.ClientError, TimeoutError) as exc:
        status = type(exc).__name__
    statuses[status] += 1
    if status.isdigit() and int(status) in ok:
        latencies.append((time.perf_counter() - began) * 1000)


def _result(
    tool: str,
    connections: int,
    elapsed: float,
    latencies: list[float],
    statuses: Counter[str],
) -> LoadResult:
    errors = sum(statuses.values()) - len(latencies)
    notes: dict[str, Any] = {"statuses": dict(statuses)}
    if latencies:
        notes["mean_ms"] = round(statistics.fmean(latencies), 2)
    return LoadResult(
        tool=tool,
        connections=connections,
        seconds=round(elapsed, 2),
        requests=len(latencies) + errors,
        errors=errors,
        rps=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(percentile(latencies, 50), 2),
        p99_ms=round(percentile(latencies, 99), 2),
        max_ms=round(max(latencies), 2) if latencies else 0.0,
        notes=notes,
    )


async def get_load(url: str, *, connections: int, seconds: float) -> LoadResult:
    """GET one URL at ``connections`` concurrent connections: wrk, else aiohttp."""
    if wrk_available():
        return await wrk(url, connections=connections, seconds=seconds)

    async def fetch(session: aiohttp.ClientSession, _: int) -> int:
        async with session.get(url) as response:
            await response.read()
            return response.status

    return await closed_loop(fetch, connections=connections, seconds=seconds)


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def get_paths_load(
    base_url: str, paths: list[str], *, connections: int, seconds: float
) -> LoadResult:
    """GET ``paths`` of ``base_url`` in turn (each connection's next request the next
    path) at ``connections`` concurrent connections: wrk with a script cycling through
    them, else the aiohttp loop. Used where one URL would measure one cache entry
    only (every service's page, not one service's)."""
    if not paths:
        raise ValueError("no paths to load")
    if wrk_available():
        table = ",\n".join(_lua_string(p) for p in paths)
        cycling = (
            f"local paths = {{\n{table}\n}}\n"
            "local turn = 0\n"
            "request = function()\n"
            "  turn = turn % #paths + 1\n"
            '  return wrk.format("GET", paths[turn])\n'
            "end\n"
        )
        with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
            script = Path(folder) / "paths.lua"
            script.write_text(cycling + _WRK_SCRIPT.read_text())
            return await wrk(
                base_url + paths[0], connections=connections, seconds=seconds, script=script
            )
    turns = [0] * connections

    async def fetch(session: aiohttp.ClientSession, number: int) -> int:
        turns[number] += 1
        path = paths[(number + turns[number]) % len(paths)]
        async with session.get(base_url + path) as response:
            await response.read()
            return response.status

    return await closed_loop(fetch, connections=connections, seconds=seconds)
