"""``python -m bench`` (``make bench``): the whole benchmark suite on one stack.

In order, on one local stack (started here, or reused via ``BENCH_GATEWAY_URL``)
and with the ceiling apps of ``ceilings.py`` running beside it:

1. the stack's memory after start (``footprint.py``);
2. catalog reads with their framework and two-hop ceilings (``bench_catalog``);
3. order placement with the database write ceiling, at half its maximum, and
   201 → confirmation mail at 20 orders/s for 60 s (``bench_ordering``);
4. logins against the bare argon2id rate (``bench_identity``);
5. the Locust mix, browsing far more than ordering (``bench_locust``);
6. the stack's memory after all that load;
7. the scaling curves measured on the stack (``scaling_stack``, through
   ``scaling.measure_on_stack``), last, as they load the stack's databases;

then, with the stack stopped, the billing run over 10,000 contracts
(``bench_billing``) and the scaling curves that need no stack (billing's run
over 10k to 1M contracts, the member search over 10k and 100k members:
``scaling.measure_local``). With ``BENCH_PROFILE=1``, after step 3 each
throughput figure that missed its target is loaded again under py-spy
(``profile.py``). The figures, each beside its ceiling and target and beside
the previous results' figure, go to ``results/<UTC date>.json`` and ``.md``
with a plot of each scaling curve (``summary.py``) and are printed.
``BENCH_ONLY=catalog,ordering`` picks some of catalog, ordering, identity,
locust, billing, scaling (the footprint comes with any that uses the stack).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from bench import (
    bench_billing,
    bench_catalog,
    bench_identity,
    bench_locust,
    bench_ordering,
    profile,
    scaling,
)
from bench.ceilings import ceilings_beside
from bench.footprint import footprint, stack_rss
from bench.stack import local_stack
from bench.summary import markdown, write

ALL = ("catalog", "ordering", "identity", "locust", "billing", "scaling")
STACK_BENCHMARKS = ("catalog", "ordering", "identity", "locust")


def _heading(name: str) -> None:
    print(f"\n=== {name} ===", flush=True)


async def on_stack(chosen: list[str]) -> dict[str, Any]:
    """The benchmarks that need the stack, and the stack's footprint around them."""
    results: dict[str, Any] = {}
    prefix = os.environ.get("DEVRUN_DB_PREFIX", "bench_")
    async with local_stack() as stack:
        after_start = stack_rss(stack.devrun_pid) if stack.devrun_pid else None
        prepared = None
        if any(name in chosen for name in ("catalog", "ordering", "locust")):
            async with ceilings_beside(stack, database=f"{prefix}ceiling") as ceilings:
                if "catalog" in chosen:
                    _heading("catalog reads")
                    results["catalog"] = await bench_catalog.measure(stack, ceilings)
                if "ordering" in chosen or "locust" in chosen:
                    prepared = await bench_ordering.prepare(stack)
                if "ordering" in chosen:
                    _heading("ordering")
                    results["ordering"] = await bench_ordering.measure(stack, ceilings, prepared)
        if profile.ENABLED:
            _heading("profiles of the missed targets")
            results["profiles"] = await profile.profile_gaps(stack, results, prepared)
        if "identity" in chosen:
            _heading("identity")
            results["identity"] = await bench_identity.measure(stack)
        if "locust" in chosen and prepared is not None:
            _heading("locust")
            results["locust"] = await bench_locust.measure(stack, *prepared)
        if after_start is not None and stack.devrun_pid is not None:
            results["footprint"] = footprint(after_start, stack_rss(stack.devrun_pid))
        else:
            print("footprint not measured: the stack was not started here")
        if "scaling" in chosen:
            # After the footprint: these load the stack's databases far beyond the rest.
            _heading("scaling on the stack")
            results["scaling"] = await scaling.measure_on_stack(stack)
    return results


async def main() -> int:
    """Run the chosen benchmarks, write and print the summary."""
    chosen = [n.strip() for n in os.environ.get("BENCH_ONLY", ",".join(ALL)).split(",")]
    unknown = sorted(set(chosen) - set(ALL))
    if unknown:
        print(f"unknown benchmark(s) {unknown}: choose from {', '.join(ALL)}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    stack_scaling = "scaling" in chosen and scaling.stack_module() is not None
    if stack_scaling or any(name in chosen for name in STACK_BENCHMARKS):
        results.update(await on_stack(chosen))
    if "billing" in chosen:
        _heading("billing run")
        results["billing"] = await bench_billing.measure()
    if "scaling" in chosen:
        _heading("scaling without the stack")
        local = await scaling.measure_local()
        on_stack_curves = results.get("scaling", {}).get("curves", [])
        results["scaling"] = {
            **results.get("scaling", {}),
            **local,
            "curves": on_stack_curves + local["curves"],
        }
    json_path, md_path = write(results)
    print("\n" + markdown(json.loads(json_path.read_text())))
    print(f"saved {json_path} and {md_path}")
    if "error" in results.get("scaling", {}):
        print("the scaling curves on the stack failed (above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
