"""How each cost grows with its work (issue 20's scaling part): curves, their fitted
growth, the verdict on it, and a plot of each.

A curve is one cost measured at a few sizes of its work, as a plain dict (the
format ``bench/scaling_stack.py`` returns too)::

    {"id": "scaling.<area>.<what>", "title": str, "x_label": str, "y_label": str,
     "unit": str, "points": [[x, y], ...], "expect": "linear" | "flat", "note": str}

:func:`fit` gives the exponent ``b`` of ``y ∝ x^b`` (least squares on log-log),
so a curve reads as "run time ∝ n^1.02" whatever its scale. A cost is expected
to grow no faster than its work (``linear``: a billing run over ten times the
contracts may take ten times as long) or not at all (``flat``: a query served by
an index, memory of a run that streams). Two or three sizes measured on a busy
machine do not give an exact exponent, so the verdict allows a margin:

- ``flat``: the cost's exponent is at most :data:`FLAT_MAX` (0.15: at most 1.4
  times the cost over ten times the work, 2 times over a hundred);
- ``linear``: at most :data:`LINEAR_MAX` (1.15: at most 14 times the cost over
  ten times the work).

For a rate (``req/s``, ``orders/s``; higher is better) the cost is its inverse:
a rate that falls as the work grows is the cost that grows, so its exponent is
judged with the sign turned. A curve over its threshold is flagged in the
summary with its note: no curve may grow faster than linear without a named
reason (issue 20).

The curves measured here need no stack (:func:`measure_local`, run after the
stack has stopped): billing's own run over N contracts (``BENCH_SCALING_CONTRACTS``,
default 10k, 100k and 1M) and the customer directory's search over N members
(``BENCH_SCALING_MEMBERS``, default 10k and 100k). Those on the stack come from
``bench/scaling_stack.py`` (:func:`stack_module`).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import os
import statistics
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, TypedDict

from bench import bench_billing
from bench.report import higher_is_better, table
from bench.stack import postgres_dsn

#: The largest exponent a ``flat`` cost may show (see the module's docstring).
FLAT_MAX = 0.15
#: The largest exponent a ``linear`` cost may show.
LINEAR_MAX = 1.15
THRESHOLDS = {"flat": FLAT_MAX, "linear": LINEAR_MAX}

ROOT = Path(__file__).resolve().parents[1]
IDENTITY_SCRIPT = ROOT / "services" / "identity" / "bench" / "run_bench.py"


class Curve(TypedDict):
    """One cost at a few sizes of its work (the format agreed with ``scaling_stack``)."""

    id: str
    title: str
    x_label: str
    y_label: str
    unit: str
    points: list[list[float]]
    expect: Literal["linear", "flat"]
    note: str


def _sizes(variable: str, default: str) -> list[int]:
    return [int(size) for size in os.environ.get(variable, default).split(",") if size.strip()]


def fit(points: Sequence[Sequence[float]]) -> float | None:
    """The exponent ``b`` of ``y ∝ x^b`` that fits ``points`` best (least squares
    on ``log y`` against ``log x``), or None when they cannot say: fewer than two
    sizes. A cost the same at every size (zero included) is flat: 0. Points whose
    ``x`` or ``y`` is not positive have no logarithm and are left out."""
    xs = {x for x, _ in points if x > 0}
    ys = [y for x, y in points if x > 0]
    if len(xs) >= 2 and len(set(ys)) == 1:
        return 0.0
    logs = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({lx for lx, _ in logs}) < 2:
        return None
    mean_x = statistics.fmean(lx for lx, _ in logs)
    mean_y = statistics.fmean(ly for _, ly in logs)
    spread = sum((lx - mean_x) ** 2 for lx, _ in logs)
    return sum((lx - mean_x) * (ly - mean_y) for lx, ly in logs) / spread


def cost_exponent(curve: Curve, exponent: float) -> float:
    """The exponent of the cost: the fitted one, turned for a rate (higher is better)."""
    return -exponent if higher_is_better(curve["unit"]) else exponent


def within(curve: Curve, exponent: float | None) -> bool | None:
    """Whether the curve grows no faster than it is expected to (None: no fit)."""
    if exponent is None:
        return None
    return cost_exponent(curve, exponent) <= THRESHOLDS[curve["expect"]]


def growth(curve: Curve, exponent: float | None) -> str:
    """``run time ∝ n^1.02``: the fitted growth as the summary and the plots say it."""
    if exponent is None:
        return "no fit (fewer than two sizes)"
    return f"{curve['y_label']} ∝ n^{exponent:.2f}"


def verdict(curve: Curve, exponent: float | None) -> str:
    """What the summary says of the curve's growth against its expectation."""
    ok = within(curve, exponent)
    if ok is None:
        return "no fit"
    limit = THRESHOLDS[curve["expect"]]
    if ok:
        return f"{curve['expect']}, as expected (cost exponent ≤ {limit:g})"
    faster = "faster than linear" if curve["expect"] == "linear" else "grows, expected flat"
    return f"**{faster}** (cost exponent > {limit:g}): {curve['note']}"


def check(curve: dict[str, Any]) -> Curve:
    """``curve`` if it has the agreed format (else a ValueError naming what is wrong),
    its points as floats."""
    missing = sorted(set(Curve.__annotations__) - set(curve))
    if missing:
        raise ValueError(f"scaling curve {curve.get('id')!r} lacks {missing}")
    if not str(curve["id"]).startswith("scaling."):
        raise ValueError(f"scaling curve id {curve['id']!r} does not start with 'scaling.'")
    if curve["expect"] not in THRESHOLDS:
        raise ValueError(f"scaling curve {curve['id']!r} expects {curve['expect']!r}")
    points = [[float(x), float(y)] for x, y in curve["points"]]
    if not all(math.isfinite(v) for point in points for v in point):
        raise ValueError(f"scaling curve {curve['id']!r} has a point that is not a number")
    return Curve(**{**curve, "points": points})  # type: ignore[typeddict-item]


def png_name(stem: str, curve_id: str) -> str:
    """The plot's file name beside the results: ``<date>-<curve id>.png``."""
    return f"{stem}-{curve_id}.png"


def plot(curves: Sequence[Curve], out_dir: Path, stem: str) -> list[Path]:
    """One PNG per curve in ``out_dir``: the points, the fitted line, log-log axes when
    the sizes span a decade or more (a power law is then a straight line)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for curve in curves:
        points = sorted(curve["points"])
        xs, ys = [x for x, _ in points], [y for _, y in points]
        exponent = fit(points)
        figure, axes = pyplot.subplots(figsize=(6, 4), dpi=100)
        try:
            axes.plot(xs, ys, "o-", label="measured")
            anchors = [(x, y) for x, y in points if x > 0 and y > 0]
            if exponent is not None and anchors:
                # The fitted line through the points' geometric centre.
                cx = math.exp(statistics.fmean(math.log(x) for x, _ in anchors))
                cy = math.exp(statistics.fmean(math.log(y) for _, y in anchors))
                fitted = [cy * (x / cx) ** exponent for x in xs]
                axes.plot(xs, fitted, "--", label=f"∝ n^{exponent:.2f}")
            positive = [x for x in xs if x > 0]
            if positive and max(positive) / min(positive) >= 10:
                axes.set_xscale("log")
                if all(y > 0 for y in ys):
                    axes.set_yscale("log")
            axes.set_xlabel(curve["x_label"])
            axes.set_ylabel(f"{curve['y_label']} ({curve['unit']})")
            axes.set_title(f"{curve['title']}: {growth(curve, exponent)}", fontsize=10)
            axes.grid(True, which="both", alpha=0.3)
            axes.legend(fontsize=8)
            figure.tight_layout()
            path = out_dir / png_name(stem, curve["id"])
            figure.savefig(path)
            written.append(path)
        finally:
            pyplot.close(figure)
    return written


def stack_module() -> ModuleType | None:
    """``bench.scaling_stack`` (the curves measured on the stack), or None while it
    does not exist: the curves here run without it."""
    try:
        return importlib.import_module("bench.scaling_stack")
    except ModuleNotFoundError as error:
        if error.name != "bench.scaling_stack":
            raise
        return None


async def measure_on_stack(stack: Any) -> dict[str, Any]:
    """The stack's curves (``scaling_stack.measure``), checked; none without it.

    A failure is kept (``error``: its traceback) rather than raised: the stack's
    curves come last in a long suite, whose figures are still worth writing; the
    suite then exits non-zero, which its smoke test sees."""
    module = stack_module()
    if module is None:
        print("bench/scaling_stack.py not found: no curves measured on the stack")
        return {"curves": []}
    try:
        curves = [check(curve) for curve in await module.measure(stack)]
    except Exception:
        error = traceback.format_exc()
        print(f"the scaling curves on the stack failed:\n{error}", flush=True)
        return {"curves": [], "error": error}
    _print(curves)
    return {"curves": curves}


async def _billing_run(contracts: int) -> dict[str, Any]:
    """billing's benchmark over ``contracts`` contracts, as ``bench_billing`` runs it."""
    figures = await bench_billing.billing_run(contracts)
    print(f"  {contracts:>9,} contracts: {figures['run_seconds']:.2f} s, "
          f"{figures['peak_rss_mb']:.0f} MB peak RSS", flush=True)  # fmt: skip
    return figures


async def billing_curves(sizes: Sequence[int]) -> tuple[list[Curve], list[dict[str, Any]]]:
    """Billing run time and peak RSS over ``sizes`` active contracts, and each run's figures."""
    runs = [await _billing_run(size) for size in sizes]
    curves = [
        Curve(
            id="scaling.billing.run_seconds",
            title="billing run time",
            x_label="active contracts",
            y_label="run time",
            unit="s",
            points=[[r["contracts"], r["run_seconds"]] for r in runs],
            expect="linear",
            note="one invoice per contract in batches of "
            f"{bench_billing.BATCH}, each batch one transaction; a batch's work should not"
            " depend on how many contracts came before it",
        ),
        Curve(
            id="scaling.billing.peak_rss_mb",
            title="billing run peak RSS",
            x_label="active contracts",
            y_label="peak RSS",
            unit="MB",
            points=[[r["contracts"], r["peak_rss_mb"]] for r in runs],
            expect="flat",
            note="the run keeps one batch in memory; the benchmark loads its contracts"
            " with COPY from generators, so the load adds nothing either",
        ),
    ]
    return curves, runs


async def _member_search(members: int, runs: int) -> dict[str, Any]:
    """identity's directory benchmark over ``members`` members (its JSON)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(IDENTITY_SCRIPT),
        "--members",
        str(members),
        "--runs",
        str(runs),
        "--server",
        postgres_dsn(),
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    text = out.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(
            f"member search benchmark failed ({process.returncode}):\n"
            f"{text}\n{err.decode(errors='replace')}"
        )
    summary: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    times = [t for search in summary["searches"] for t in search["times_ms"]]
    summary["median_ms"] = statistics.median(times)
    summary["p99_ms"] = _percentile(times, 99)
    for search in summary["searches"]:
        search.pop("plan", None)  # printed by the script itself when run alone
    print(f"  {members:>9,} members: median {summary['median_ms']:.2f} ms, "
          f"p99 {summary['p99_ms']:.2f} ms", flush=True)  # fmt: skip
    return summary


def _percentile(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile (enough for a few hundred query times)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


async def member_search_curves(
    sizes: Sequence[int], runs: int
) -> tuple[list[Curve], list[dict[str, Any]]]:
    """The directory's search time (median, p99 over its typical searches) over ``sizes``."""
    found = [await _member_search(size, runs) for size in sizes]
    note = (
        "the directory's searches (kana, digits, e-mail, corporate number, kanji, one and"
        " two characters), first page of 50, through the trigram index; time at the"
        " database (EXPLAIN ANALYZE), warm"
    )
    curves = [
        Curve(
            id=f"scaling.identity.member_search.{name}_ms",
            title=f"member search, {name}",
            x_label="members",
            y_label=f"{name} query time",
            unit="ms",
            points=[[s["members"], s[f"{name}_ms"]] for s in found],
            expect="flat",
            note=note,
        )
        for name in ("median", "p99")
    ]
    return curves, found


async def measure_local() -> dict[str, Any]:
    """The curves that need no stack, with the raw figures of each size."""
    contracts = _sizes("BENCH_SCALING_CONTRACTS", "10000,100000,1000000")
    members = _sizes("BENCH_SCALING_MEMBERS", "10000,100000")
    runs = int(os.environ.get("BENCH_SCALING_SEARCH_RUNS", "20"))
    print(f"billing run over {', '.join(f'{n:,}' for n in contracts)} contracts", flush=True)
    billing, billing_runs = await billing_curves(contracts)
    print(f"member search over {', '.join(f'{n:,}' for n in members)} members", flush=True)
    search, searches = await member_search_curves(members, runs)
    curves = billing + search
    _print(curves)
    return {"curves": curves, "billing_runs": billing_runs, "member_search": searches}


def _print(curves: Sequence[Curve]) -> None:
    rows = []
    for curve in curves:
        exponent = fit(curve["points"])
        points = ", ".join(f"{x:,g}: {y:.4g}" for x, y in curve["points"])
        ok = {True: "ok", False: "OVER", None: "?"}[within(curve, exponent)]
        fitted = growth(curve, exponent)
        rows.append([curve["id"], f"{points} {curve['unit']}", fitted, curve["expect"], ok])
    print(table("how cost grows", ["curve", "points", "fitted", "expect", "verdict"], rows))


if __name__ == "__main__":
    # ``python -m bench.scaling``: the curves that need no stack, printed.
    asyncio.run(measure_local())
