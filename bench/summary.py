"""The suite's figures side by side with their ceilings and targets, as JSON and Markdown.

:func:`figures` flattens the raw results of the benchmarks into one list;
each figure has an id, a value and its unit and, where the issue sets one, the
ceiling it is compared with (measured in the same run), the ratio, the target
and whether it was met (``pass``: true, false, or null for a figure without a
target). :func:`write` keeps the raw results and the list in
``results/<UTC date>.json`` and the table in ``results/<UTC date>.md``, the
scaling curves' plots beside them (``results/<UTC date>-<curve id>.png``).

Each figure is put beside the same figure of the previous results
(:func:`previous_file`: the newest ``results/*.json`` measured before this run,
or ``BENCH_COMPARE_WITH``) with the change, so a regression shows at once: a
change for the worse of more than :data:`REGRESSION` (10%) is marked, worse
being lower for a rate or a share and higher for a time, a size or a count of
failures (``better`` of each figure). A fitted exponent is compared by its
difference, not in percent (its value is near zero for a flat curve): worse by
more than :data:`EXPONENT_REGRESSION` is a regression.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, scaling

#: A change for the worse by more than this share of the previous figure is a regression.
REGRESSION = 0.10
#: A fitted exponent worse by more than this (a difference, not a share) is a regression.
EXPONENT_REGRESSION = 0.10

#: Catalog endpoints and the short keys of their figures.
ENDPOINTS = {
    "GET /services": "services",
    "GET /services/{id}": "service",
    "GET /services/{id}/start-dates": "start_dates",
}


def _figure(
    figure_id: str,
    label: str,
    value: float,
    unit: str,
    *,
    ceiling: tuple[str, float] | None = None,
    at_least_ratio: float | None = None,
    below: float | None = None,
    at_least: float | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": figure_id,
        "label": label,
        "value": value,
        "unit": unit,
        "ceiling": None,
        "ceiling_value": None,
        "ratio": None,
        "target": None,
        "pass": None,
        "better": "higher" if report.higher_is_better(unit) else "lower",
    }
    if ceiling is not None:
        entry["ceiling"], entry["ceiling_value"] = ceiling
        entry["ratio"] = round(value / ceiling[1], 3) if ceiling[1] else 0.0
    if at_least_ratio is not None:
        entry["target"] = f">= {at_least_ratio:.0%} of the ceiling"
        entry["pass"] = entry["ratio"] >= at_least_ratio
    elif below is not None:
        entry["target"] = f"< {below:g} {unit}"
        entry["pass"] = value < below
    elif at_least is not None:
        entry["target"] = f">= {at_least:g} {unit}"
        entry["pass"] = value >= at_least
    return entry


def _catalog(results: dict[str, Any]) -> list[dict[str, Any]]:
    ratio = results["targets"]["ratio"]
    p99_target = results["targets"]["p99_at_half_max_ms"]
    # Each endpoint is divided by the ceilings measured right before it; the ceiling
    # figures themselves are the median of those measurements.
    by_endpoint = results["ceilings"]
    framework_all = [c["framework"]["rps"] for c in by_endpoint.values()]
    two_hop_all = [c["two-hop"]["rps"] for c in by_endpoint.values()]
    out = [
        _figure("ceiling.framework.rps", "framework ceiling (bare FastAPI, typed model), median",
                statistics.median(framework_all), "req/s"),
        _figure("ceiling.two_hop.rps",
                "two-hop ceiling (same app behind a bare aiohttp proxy), median",
                statistics.median(two_hop_all), "req/s"),
    ]  # fmt: skip
    for endpoint, key in ENDPOINTS.items():
        by = results["results"][endpoint]
        direct, gateway, half = by["catalog direct"], by["gateway"], by["gateway at half max"]
        framework = by_endpoint[endpoint]["framework"]["rps"]
        two_hop = by_endpoint[endpoint]["two-hop"]["rps"]
        out += [
            _figure(f"catalog.{key}.direct.rps", f"{endpoint} direct to catalog",
                    direct["rps"], "req/s", ceiling=("framework", framework),
                    at_least_ratio=ratio),
            _figure(f"catalog.{key}.gateway.rps", f"{endpoint} through the gateway",
                    gateway["rps"], "req/s", ceiling=("two-hop", two_hop),
                    at_least_ratio=ratio),
            _figure(f"catalog.{key}.gateway.p50_ms", f"{endpoint} through the gateway, p50",
                    gateway["p50_ms"], "ms"),
            _figure(f"catalog.{key}.gateway.p99_ms", f"{endpoint} through the gateway, p99",
                    gateway["p99_ms"], "ms"),
            _figure(f"catalog.{key}.half_max.p99_ms",
                    f"{endpoint} through the gateway at half max "
                    f"({half['notes']['target_rate']:g}/s), p99",
                    half["p99_ms"], "ms", below=p99_target),
        ]  # fmt: skip
    return out


def _ordering(results: dict[str, Any]) -> list[dict[str, Any]]:
    targets = results["targets"]
    ceiling = results["write_ceiling"]["rps"]
    placed, half = results["placement_32_concurrent"], results["placement_half_max"]
    mail, steady = results["confirmation_mail_latency"], results["placement_steady"]
    rate = f"{mail['rate_per_second']:g}/s for {mail['seconds']:g}s"
    return [
        _figure("ceiling.db_write.rps", "database write ceiling (one INSERT per request)",
                ceiling, "req/s"),
        _figure("ordering.place.rps", "POST /orders through the gateway, 32 members",
                placed["rps"], "req/s", ceiling=("db write", ceiling),
                at_least_ratio=targets["ratio_to_write_ceiling"]),
        _figure("ordering.place.p50_ms", "POST /orders, 32 members, p50", placed["p50_ms"], "ms"),
        _figure("ordering.place.p99_ms", "POST /orders, 32 members, p99", placed["p99_ms"], "ms"),
        _figure("ordering.half_max.p99_ms",
                f"POST /orders at half max ({half['notes']['target_rate']:g}/s), p99",
                half["p99_ms"], "ms", below=targets["p99_at_half_max_ms"]),
        _figure("mail.p50_ms", f"201 → confirmation mail at {rate}, p50", mail["p50_ms"], "ms",
                below=targets["mail_p50_ms"]),
        _figure("mail.p99_ms", f"201 → confirmation mail at {rate}, p99", mail["p99_ms"], "ms",
                below=targets["mail_p99_ms"]),
        _figure("mail.accepted", f"orders accepted (201) / orders sent at {rate}",
                round(mail["orders"] / steady["requests"], 3) if steady["requests"] else 0.0,
                "share", at_least=1.0),
        _figure("mail.matched", "confirmation mails received / orders accepted",
                round(mail["mails_matched"] / mail["orders"], 3) if mail["orders"] else 0.0,
                "share", at_least=1.0),
    ]  # fmt: skip


def _identity(results: dict[str, Any]) -> list[dict[str, Any]]:
    targets = results["targets"]
    # The best bare argon2id rate this machine showed (1 or 2 threads, 2 processes).
    best = max(results["bare_rates_per_second"].values())
    return [
        _figure("identity.login.rps", "logins/s through the gateway, 10 concurrent",
                results["login_throughput"]["rps"], "req/s",
                ceiling=("bare argon2id", best), at_least_ratio=targets["ratio"]),
        _figure("identity.login.p99_ms", "login p99 at 2 concurrent",
                results["login_latency"]["p99_ms"], "ms", below=targets["p99_ms_at_2"]),
    ]  # fmt: skip


def _locust(results: dict[str, Any]) -> list[dict[str, Any]]:
    total = results["stats"]["Aggregated"]
    label = f"Locust mix, {results['users']} members"
    return [
        _figure("locust.rps", f"{label}: req/s", total["rps"], "req/s"),
        _figure("locust.p50_ms", f"{label}: p50", total["p50_ms"], "ms"),
        _figure("locust.p99_ms", f"{label}: p99", total["p99_ms"], "ms"),
        _figure("locust.failures", f"{label}: failed requests", total["failures"], "requests"),
    ]


def _billing(results: dict[str, Any]) -> list[dict[str, Any]]:
    from bench.bench_billing import TARGET_INVOICES_PER_SECOND, TARGET_PEAK_MB

    label = f"billing run, {results['contracts']} contracts"
    return [
        _figure("billing.invoices_per_s", f"{label}: invoices/s",
                results["invoices_per_second"], "invoices/s",
                at_least=TARGET_INVOICES_PER_SECOND),
        _figure("billing.peak_rss_mb", f"{label}: peak RSS", results["peak_rss_mb"], "MB",
                below=TARGET_PEAK_MB),
    ]  # fmt: skip


def _footprint(results: dict[str, Any]) -> list[dict[str, Any]]:
    target = results["target_per_process_mb"]
    out = [
        _figure("footprint.total.after_start_mb", "whole stack RSS after start",
                results["total_after_start_mb"], "MB"),
        _figure("footprint.total.after_load_mb", "whole stack RSS after the load",
                results["total_after_load_mb"], "MB"),
    ]  # fmt: skip
    for phase in ("after_start", "after_load"):
        for process, mb in results[f"{phase}_mb"].items():
            key = process.replace(" ", "_").replace("#", "")
            label = f"RSS of {process} {phase.replace('_', ' ')}"
            out.append(_figure(f"footprint.{key}.{phase}_mb", label, mb, "MB", below=target))
    return out


def _x_key(x: float) -> str:
    return f"{x:g}".replace(".", "_").replace("+", "")


def _scaling(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per curve its fitted exponent (judged against its expectation) and each point."""
    out = []
    for curve in (scaling.check(c) for c in results["curves"]):
        exponent = scaling.fit(curve["points"])
        rate = report.higher_is_better(curve["unit"])
        if exponent is not None:
            limit = scaling.THRESHOLDS[curve["expect"]]
            entry = _figure(
                f"{curve['id']}.exponent",
                f"{curve['title']}: fitted exponent b of y ∝ n^b ({curve['expect']} expected)",
                round(exponent, 3),
                "exponent",
            )
            entry["target"] = (
                f">= {-limit:g} (a rate, {curve['expect']})" if rate
                else f"<= {limit:g} ({curve['expect']})"
            )  # fmt: skip
            entry["pass"] = scaling.within(curve, exponent)
            entry["better"] = "higher" if rate else "lower"
            out.append(entry)
        for x, y in curve["points"]:
            out.append(
                _figure(
                    f"{curve['id']}.at_{_x_key(x)}",
                    f"{curve['title']}, {x:,g} {curve['x_label']}",
                    y,
                    curve["unit"],
                )
            )
    return out


_SECTIONS = {
    "catalog": _catalog,
    "ordering": _ordering,
    "identity": _identity,
    "locust": _locust,
    "billing": _billing,
    "footprint": _footprint,
    "scaling": _scaling,
}


def figures(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure of the benchmarks that ran, in a fixed order."""
    out: list[dict[str, Any]] = []
    for name, section in _SECTIONS.items():
        if name in results:
            out += section(results[name])
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def previous_file(measured_at: datetime) -> Path | None:
    """The results to compare with: ``BENCH_COMPARE_WITH`` (a path; ``none`` for none),
    else the newest summary in the results folder measured before ``measured_at`` (by
    the time in it; the file of this run itself, rewritten, is never its own previous;
    an earlier run of the same day is, read before this run overwrites it)."""
    named = os.environ.get("BENCH_COMPARE_WITH")
    if named is not None:
        return None if named.strip().lower() in ("", "none") else Path(named)
    found: list[tuple[datetime, Path]] = []
    for path in report.RESULTS.glob("*.json"):
        try:
            body = json.loads(path.read_text())
            at = datetime.fromisoformat(body["measured_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        # A part's own file (``report.save``) has no figures list: not a summary.
        if isinstance(body.get("figures"), list) and at < measured_at:
            found.append((at, path))
    return max(found)[1] if found else None


def change(figure: dict[str, Any], previous: float | None) -> tuple[float | None, bool | None]:
    """The change from ``previous`` (a share of it; for an exponent, the difference) and
    whether it is a regression (worse beyond :data:`REGRESSION`); Nones without one."""
    if previous is None:
        return None, None
    value = figure["value"]
    sign = 1 if figure.get("better", "lower") == "lower" else -1
    if figure["unit"] == "exponent":
        difference = value - previous
        return round(difference, 3), sign * difference > EXPONENT_REGRESSION
    if previous == 0:
        # No share of nothing: any move the wrong way from zero (a failure) is a regression.
        return None, sign * value > 0
    share = (value - previous) / abs(previous)
    return round(share, 4), sign * share > REGRESSION


def compare(listed: Sequence[dict[str, Any]], previous: dict[str, Any]) -> dict[str, Any]:
    """Put each figure of ``listed`` beside the same figure in ``previous`` (a summary's
    JSON): ``previous``, ``change`` and ``regression`` of each (None where it has no
    such figure, or one in another unit); what the previous had that this run lacks."""
    before = {f["id"]: f for f in previous.get("figures", []) if isinstance(f, dict) and "id" in f}
    for figure in listed:
        old = before.get(figure["id"])
        value = old.get("value") if old and old.get("unit") == figure["unit"] else None
        figure["previous"] = value if _number(value) else None
        figure["change"], figure["regression"] = change(figure, figure["previous"])
    current = {f["id"] for f in listed}
    return {"not_measured_now": [i for i in before if i not in current]}


def _change_cell(figure: dict[str, Any]) -> str:
    if figure.get("previous") is None:
        return ""
    moved = figure.get("change")
    if moved is None:
        text = "from 0"
    elif figure["unit"] == "exponent":
        text = f"{moved:+.2f}"
    else:
        text = f"{moved:+.1%}" if abs(moved) < 0.1 else f"{moved:+.0%}"
    return f"{text} **regression**" if figure.get("regression") else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def markdown(body: dict[str, Any]) -> str:
    """The summary table (and the gaps) in Markdown."""
    m = body["machine"]
    lines = [
        f"# Benchmarks {body['measured_at'][:16].replace('T', ' ')} UTC",
        "",
        f"Machine: {m['cpu_model']}, {m['nproc']} CPUs (nproc), {m['memory_gib']} GiB, "
        f"Python {m['python']}; load average at the end {m['loadavg_1m_5m_at_end']} (1m, 5m). "
        "Load generators run on the same machine as the stack.",
        "",
    ]
    compared = body.get("compared_with")
    if compared:
        lines += [
            f"Previous: `{compared['file']}` (measured {compared['measured_at'][:16]} UTC);"
            f" a change for the worse of more than {REGRESSION:.0%}"
            f" (an exponent's: {EXPONENT_REGRESSION:g}) is marked a regression.",
            "",
        ]
    else:
        lines += ["Previous: none to compare with.", ""]
    lines += [
        "| figure | value | ceiling | ratio | target | result | previous | change |",
        "|---|---:|---:|---:|---|---|---:|---|",
    ]
    for f in body["figures"]:
        ceiling = f"{_cell(f['ceiling_value'])} ({f['ceiling']})" if f["ceiling"] else ""
        ratio = f"{f['ratio']:.0%}" if f["ratio"] is not None else ""
        result = {True: "pass", False: "**gap**", None: ""}[f["pass"]]
        previous = _cell(f.get("previous"))
        lines.append(
            f"| {f['label']} | {_cell(f['value'])} {f['unit']} | {ceiling} | {ratio} "
            f"| {f['target'] or ''} | {result} | {previous} | {_change_cell(f)} |"
        )
    gaps = [f for f in body["figures"] if f["pass"] is False]
    lines += ["", f"Targets met: {body['targets_met']} of {body['targets_total']}."]
    if gaps:
        lines += ["", "Gaps:", ""]
        lines += [f"- {f['label']}: {_cell(f['value'])} {f['unit']} ({f['target']})" for f in gaps]
    if compared:
        regressions = [f for f in body["figures"] if f.get("regression")]
        new = sum(1 for f in body["figures"] if f.get("previous") is None)
        gone = compared.get("not_measured_now", [])
        lines += ["", f"Regressions against `{compared['file']}`: {len(regressions)}."]
        lines += [
            f"- {f['label']}: {_cell(f['value'])} {f['unit']}, was {_cell(f['previous'])}"
            f" ({_change_cell(f).removesuffix(' **regression**')})"
            for f in regressions
        ]
        lines += [
            "",
            f"Figures not in the previous file: {new}; in it but not measured now: {len(gone)}.",
        ]
    lines += _scaling_section(body)
    hops = (body["raw"].get("ordering") or {}).get("confirmation_mail_hops")
    if hops:
        lines += [
            "",
            f"## Where the confirmation mail's time goes ({hops['orders']} orders)",
            "",
            "From the recorded instants of each order's outbox row (ordering) and delivery"
            " row (notification); a row's time is taken before its commit, so a slow commit"
            " shows in the next hop.",
            "",
            "| hop | p50 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|",
        ]
        for label, hop in hops.items():
            if isinstance(hop, dict) and "p50_ms" in hop:
                lines.append(
                    f"| {label} | {_cell(hop['p50_ms'])} | {_cell(hop['p99_ms'])} "
                    f"| {_cell(hop['max_ms'])} |"
                )
        dominant = hops.get("slowest_1pct_dominant_hop") or {}
        if dominant:
            said = ", ".join(f"{label} ({n})" for label, n in dominant.items())
            lines += ["", f"The hop that took most of each of the slowest 1%: {said}."]
    profiles = body["raw"].get("profiles") or {}
    if profiles:
        lines += ["", "## Profiles of the missed targets (py-spy, same load)", ""]
    for label, found in profiles.items():
        lines += ["", f"### {label}", ""]
        if not found.get("samples"):
            lines.append(f"no samples: {found.get('error', 'unknown')}")
            continue
        busy = found.get("main_thread_busy_samples", "?")
        idle = found.get("main_thread_idle_share", "?")
        lines += [
            f"{found['samples']} samples, {busy} of them the main thread busy"
            f" (idle waiting for I/O: {idle}%);"
            " share of the busy samples in each function and what it called, server and"
            " framework plumbing left out:",
            "",
        ]
        lines += [f"- {share}% `{frame}`" for share, frame in found["inclusive"][:12]]
        lines += ["", "Most samples in the function itself:", ""]
        lines += [f"- {share}% `{frame}`" for share, frame in found["self"][:6]]
    return "\n".join(lines) + "\n"


def _scaling_section(body: dict[str, Any]) -> list[str]:
    """The section "How cost grows with the work": each curve's points, fitted growth
    and verdict, and its plot (the PNG beside the results)."""
    raw = body["raw"].get("scaling") or {}
    curves = [scaling.check(c) for c in raw.get("curves", [])]
    if not curves and "error" not in raw:
        return []
    stem = body["measured_at"][:10]
    lines = [
        "",
        "## How cost grows with the work",
        "",
        "Each curve's growth is fitted as y ∝ n^b (least squares on log-log). Expected"
        f" flat: the cost's exponent at most {scaling.FLAT_MAX:g}; expected linear: at most"
        f" {scaling.LINEAR_MAX:g} (the cost of a rate is its inverse, so a rate's exponent"
        " is judged with its sign turned). A curve beyond its threshold says why it grows.",
        "",
    ]
    if "error" in raw:
        failure = raw["error"].strip().splitlines()[-1]
        lines += [f"The curves on the stack failed: `{failure}` (the run's output says more).", ""]
    lines += [
        "| curve | points | fitted growth | expected | verdict |",
        "|---|---|---|---|---|",
    ]
    for curve in curves:
        exponent = scaling.fit(curve["points"])
        points = "; ".join(
            f"{x:,g} {curve['x_label']}: {_cell(y)} {curve['unit']}" for x, y in curve["points"]
        )
        lines.append(
            f"| {curve['title']} (`{curve['id']}`) | {points} "
            f"| {scaling.growth(curve, exponent)} | {curve['expect']} "
            f"| {scaling.verdict(curve, exponent)} |"
        )
    for curve in curves:
        growth = scaling.growth(curve, scaling.fit(curve["points"]))
        lines += [
            "",
            f"![{curve['title']}: {growth}]({scaling.png_name(stem, curve['id'])})",
        ]
    return lines


def write(
    results: dict[str, Any],
    *,
    measured_at: datetime | None = None,
    machine: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``results/<UTC date>.json`` and ``.md``; return both paths."""
    now = measured_at or datetime.now(UTC)
    listed = figures(results)
    judged = [f for f in listed if f["pass"] is not None]
    compared_with = None
    previous_path = previous_file(now)
    previous: dict[str, Any] | None = None
    if previous_path is not None:
        try:
            previous = json.loads(previous_path.read_text())
        except (OSError, ValueError) as error:
            # The end of a long run: its figures matter more than the comparison.
            print(f"not compared with {previous_path}: {error}")
    if previous_path is not None and isinstance(previous, dict):
        compared_with = {
            "file": previous_path.name,
            "measured_at": previous.get("measured_at", "?"),
            **compare(listed, previous),
        }
    body = {
        "measured_at": now.isoformat(),
        "machine": machine or report.machine(),
        "targets_met": sum(1 for f in judged if f["pass"]),
        "targets_total": len(judged),
        "compared_with": compared_with,
        "figures": listed,
        "raw": results,
    }
    report.RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{now:%Y-%m-%d}"
    json_path = report.RESULTS / f"{stem}.json"
    md_path = report.RESULTS / f"{stem}.md"
    curves = (results.get("scaling") or {}).get("curves", [])
    scaling.plot([scaling.check(c) for c in curves], report.RESULTS, stem)
    json_path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(body))
    return json_path, md_path


def main(argv: list[str]) -> int:
    """``python -m bench.summary results/<date>.json``: rewrite a summary from its raw figures
    (after a change to how figures are judged), keeping its time and machine."""
    body = json.loads(Path(argv[0]).read_text())
    paths = write(
        body["raw"],
        measured_at=datetime.fromisoformat(body["measured_at"]),
        machine=body["machine"],
    )
    print(f"rewrote {paths[0]} and {paths[1]}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
