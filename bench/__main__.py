"""``python -m bench`` (``make bench``): every benchmark, one after another, on one stack.

One stack (started here, or reused via ``BENCH_GATEWAY_URL``) serves all three,
so the start-up is paid once; ``BENCH_ONLY=catalog,identity`` picks some.
"""

from __future__ import annotations

import asyncio
import os

from bench import bench_catalog, bench_identity, bench_ordering
from bench.stack import local_stack

BENCHMARKS = {
    "catalog": bench_catalog.measure,
    "identity": bench_identity.measure,
    "ordering": bench_ordering.measure,
}


async def main() -> None:
    """Run the chosen benchmarks in order, printing each one's table."""
    chosen = [n.strip() for n in os.environ.get("BENCH_ONLY", ",".join(BENCHMARKS)).split(",")]
    async with local_stack() as stack:
        for name in chosen:
            print(f"\n=== {name} ===", flush=True)
            await BENCHMARKS[name](stack)


if __name__ == "__main__":
    asyncio.run(main())
