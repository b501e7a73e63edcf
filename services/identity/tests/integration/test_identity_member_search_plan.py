"""R30: the directory's searches are served by the trigram index — the benchmark
(``services/identity/bench/run_bench.py``) run small, on a scratch database of its own.

2,000 members are few enough that a sequential scan costs less and the planner would
rightly take it; the run plans without one (``--index-plans``) to show the index
serves each search (its expression and operator match the query's). The timings at
100,000 members come from the full run (services/identity/README.md).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parents[2] / "bench" / "run_bench.py"


async def test_r30_every_directory_search_uses_the_trigram_index(infra: Any) -> None:
    parts = urlsplit(infra.postgres_dsn)
    server = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH),
        "--members",
        "2000",
        "--runs",
        "1",
        "--index-plans",
        "--json",
        "--server",
        server,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()[-3000:]
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["members"] == 2000
    searches = {s["search"]: s for s in summary["searches"]}
    assert "full-width digits" in searches and "corporate number with hyphens" in searches
    for search in searches.values():
        assert search["uses_trigram_index"], search["plan"]
    assert searches["corporate number with hyphens"]["rows_on_first_page"] == 1
    assert searches["person kana, half-width"]["rows_on_first_page"] > 0
