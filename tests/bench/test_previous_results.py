"""Each figure beside the previous results' (``bench/summary.py``; no stack)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench import report, summary


def figure(figure_id: str, value: float, unit: str) -> dict[str, Any]:
    return {"id": figure_id, "value": value, "unit": unit,
            "better": "higher" if report.higher_is_better(unit) else "lower"}  # fmt: skip


def compared(current: list[dict[str, Any]], previous: list[dict[str, Any]]) -> dict[str, Any]:
    gone = summary.compare(current, {"figures": previous})
    return {"by_id": {f["id"]: f for f in current}, **gone}


def test_a_rate_that_falls_by_more_than_a_tenth_is_a_regression() -> None:
    found = compared(
        [figure("a.rps", 85.0, "req/s"), figure("b.rps", 91.0, "req/s"),
         figure("c", 2000.0, "invoices/s")],
        [figure("a.rps", 100.0, "req/s"), figure("b.rps", 100.0, "req/s"),
         figure("c", 1000.0, "invoices/s")],
    )["by_id"]  # fmt: skip
    assert found["a.rps"]["previous"] == 100.0
    assert found["a.rps"]["change"] == pytest.approx(-0.15)
    assert found["a.rps"]["regression"] is True
    assert found["b.rps"]["regression"] is False
    assert found["c"]["change"] == pytest.approx(1.0) and found["c"]["regression"] is False


def test_a_time_or_a_size_that_grows_by_more_than_a_tenth_is_a_regression() -> None:
    found = compared(
        [figure("p99", 120.0, "ms"), figure("rss", 100.0, "MB"), figure("fast", 50.0, "ms")],
        [figure("p99", 100.0, "ms"), figure("rss", 95.0, "MB"), figure("fast", 100.0, "ms")],
    )["by_id"]
    assert found["p99"]["regression"] is True
    assert found["rss"]["regression"] is False
    assert found["fast"]["change"] == pytest.approx(-0.5)
    assert found["fast"]["regression"] is False


def test_an_exponent_is_compared_by_its_difference() -> None:
    flat = figure("scaling.x.exponent", 0.16, "exponent")
    rate = {**figure("scaling.r.exponent", -0.25, "exponent"), "better": "higher"}
    found = compared(
        [flat, rate],
        [figure("scaling.x.exponent", 0.02, "exponent"),
         figure("scaling.r.exponent", -0.1, "exponent")],
    )["by_id"]  # fmt: skip
    assert found["scaling.x.exponent"]["change"] == pytest.approx(0.14)
    assert found["scaling.x.exponent"]["regression"] is True
    assert found["scaling.r.exponent"]["regression"] is True


def test_figures_missing_on_either_side_are_named_not_compared() -> None:
    found = compared(
        [figure("new", 1.0, "ms"), figure("unit changed", 1.0, "s"),
         figure("zero", 2.0, "requests")],
        [figure("gone", 1.0, "ms"), figure("unit changed", 1000.0, "ms"),
         figure("zero", 0.0, "requests"), {"id": "broken", "value": None, "unit": "ms"}],
    )  # fmt: skip
    by_id = found["by_id"]
    assert by_id["new"]["previous"] is None and by_id["new"]["regression"] is None
    assert by_id["unit changed"]["previous"] is None
    # Failures up from none: no share of zero, but worse.
    assert by_id["zero"]["change"] is None and by_id["zero"]["regression"] is True
    assert found["not_measured_now"] == ["gone", "broken"]


def _summary_file(folder: Path, name: str, measured_at: str, value: float) -> Path:
    path = folder / name
    body = {"measured_at": measured_at, "figures": [figure("a.rps", value, "req/s")]}
    path.write_text(json.dumps(body))
    return path


def test_the_previous_file_is_the_newest_summary_measured_before_this_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.delenv("BENCH_COMPARE_WITH", raising=False)
    _summary_file(tmp_path, "2026-11-25.json", "2026-11-25T17:49:00+00:00", 100.0)
    earlier_today = _summary_file(tmp_path, "2026-12-03.json", "2026-12-03T09:00:00+00:00", 90.0)
    # A part's own file has no figures list; a later run is not a previous one.
    (tmp_path / "billing-2026-12-03.json").write_text(
        json.dumps({"benchmark": "billing", "measured_at": "2026-12-03T10:00:00+00:00"})
    )
    _summary_file(tmp_path, "later.json", "2026-12-04T00:00:00+00:00", 10.0)
    (tmp_path / "broken.json").write_text("{")
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert summary.previous_file(now) == earlier_today
    # Rewriting a summary (python -m bench.summary): never compared with itself.
    rewritten = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert summary.previous_file(rewritten) == tmp_path / "2026-11-25.json"
    assert summary.previous_file(datetime(2026, 11, 1, tzinfo=UTC)) is None


def test_bench_compare_with_names_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    named = _summary_file(tmp_path, "elsewhere.json", "2030-01-01T00:00:00+00:00", 100.0)
    monkeypatch.setenv("BENCH_COMPARE_WITH", str(named))
    assert summary.previous_file(datetime(2026, 12, 3, tzinfo=UTC)) == named
    monkeypatch.setenv("BENCH_COMPARE_WITH", "none")
    assert summary.previous_file(datetime(2026, 12, 3, tzinfo=UTC)) is None


def test_the_summary_shows_previous_and_change_and_names_regressions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.delenv("BENCH_COMPARE_WITH", raising=False)
    previous = {
        "measured_at": "2026-11-25T17:49:00+00:00",
        "figures": [figure("billing.invoices_per_s", 3470.0, "invoices/s"),
                    figure("billing.peak_rss_mb", 180.0, "MB")],
    }  # fmt: skip
    (tmp_path / "2026-11-25.json").write_text(json.dumps(previous))
    raw = {"billing": {"contracts": 10000, "invoices_per_second": 2000.0, "peak_rss_mb": 150.0}}
    machine = {"cpu_model": "test", "nproc": 2, "memory_gib": 1.0, "python": "3.11",
               "loadavg_1m_5m_at_end": [0.1, 0.1]}  # fmt: skip
    json_path, md_path = summary.write(
        raw, measured_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC), machine=machine
    )
    body = json.loads(json_path.read_text())
    assert body["compared_with"]["file"] == "2026-11-25.json"
    by_id = {f["id"]: f for f in body["figures"]}
    assert by_id["billing.invoices_per_s"]["regression"] is True
    assert by_id["billing.peak_rss_mb"]["regression"] is False
    text = md_path.read_text()
    assert "| previous | change |" in text
    assert "| 3,470.0 | -42% **regression** |" in text
    assert "| 180.0 | -17% |" in text
    assert "Regressions against `2026-11-25.json`: 1." in text
