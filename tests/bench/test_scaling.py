"""How the scaling part fits, judges and plots a curve (``bench/scaling.py``; no stack)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from bench import scaling, summary


def curve(points: list[list[float]], *, unit: str = "s", expect: str = "linear") -> Any:
    return scaling.check(
        {
            "id": "scaling.test.cost",
            "title": "a cost",
            "x_label": "items",
            "y_label": "cost",
            "unit": unit,
            "points": points,
            "expect": expect,
            "note": "the reason it may grow",
        }
    )


@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0, 1.02, 2.0, -0.5])
def test_fit_gives_the_exponent_of_an_exact_power_law(exponent: float) -> None:
    points = [[x, 3.7 * x**exponent] for x in (10_000, 100_000, 1_000_000)]
    assert scaling.fit(points) == pytest.approx(exponent, abs=1e-9)


def test_fit_is_least_squares_over_points_off_the_line() -> None:
    # log y = 0, 1.1, 1.9 against log x = 0, 1, 2 (base 10): slope 0.95.
    points = [[1.0, 1.0], [10.0, 10**1.1], [100.0, 10**1.9]]
    assert scaling.fit(points) == pytest.approx(0.95)


def test_fit_needs_two_sizes() -> None:
    assert scaling.fit([]) is None
    assert scaling.fit([[1000, 2.0]]) is None
    assert scaling.fit([[1000, 2.0], [1000, 3.0]]) is None


def test_a_cost_the_same_at_every_size_is_flat_even_at_zero() -> None:
    assert scaling.fit([[10, 0.0], [100, 0.0], [1000, 0.0]]) == 0.0
    assert scaling.fit([[10, 5.0], [100, 5.0]]) == 0.0


def test_points_without_a_logarithm_are_left_out() -> None:
    assert scaling.fit([[0, 1.0], [10, 0.0], [10, 2.0], [100, 20.0]]) == pytest.approx(1.0)
    assert scaling.fit([[10, 0.0], [100, 2.0]]) is None


def test_linear_and_flat_are_judged_with_their_margins() -> None:
    linear, flat = curve([], expect="linear"), curve([], expect="flat", unit="MB")
    assert scaling.within(linear, 1.15) and not scaling.within(linear, 1.16)
    assert scaling.within(flat, 0.15) and not scaling.within(flat, 0.16)
    assert scaling.within(flat, -0.4)  # cheaper with more work is never a problem
    assert scaling.within(flat, None) is None


def test_a_falling_rate_is_a_growing_cost() -> None:
    rate = curve([], unit="req/s", expect="flat")
    assert scaling.cost_exponent(rate, -0.3) == pytest.approx(0.3)
    assert not scaling.within(rate, -0.3)
    assert scaling.within(rate, 0.3)


def test_a_curve_over_its_threshold_is_flagged_with_its_note() -> None:
    growing = curve([[10, 1], [100, 100]], expect="linear")
    said = scaling.verdict(growing, scaling.fit(growing["points"]))
    assert "faster than linear" in said and "the reason it may grow" in said
    assert scaling.growth(growing, 2.0) == "cost ∝ n^2.00"


def test_a_curve_not_in_the_agreed_format_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks"):
        scaling.check({"id": "scaling.x", "points": []})
    with pytest.raises(ValueError, match="expects"):
        scaling.check({**curve([]), "expect": "quadratic"})
    with pytest.raises(ValueError, match="not a number"):
        scaling.check({**curve([]), "points": [[10, math.nan]]})


def test_every_curve_becomes_an_exponent_figure_and_one_figure_per_point() -> None:
    listed = summary.figures(
        {"scaling": {"curves": [curve([[1000, 1.0], [10_000, 10.0], [100_000, 100.0]])]}}
    )
    by_id = {f["id"]: f for f in listed}
    assert by_id["scaling.test.cost.exponent"]["value"] == pytest.approx(1.0)
    assert by_id["scaling.test.cost.exponent"]["pass"] is True
    assert [by_id[f"scaling.test.cost.at_{n}"]["value"] for n in (1000, 10000, 100000)] == [
        1.0,
        10.0,
        100.0,
    ]


def test_plot_writes_one_png_per_curve(tmp_path: Path) -> None:
    curves = [
        curve([[10_000, 2.9], [100_000, 30.0], [1_000_000, 310.0]]),
        {**curve([[8, 1500.0], [100, 1400.0]], unit="req/s", expect="flat"), "id": "scaling.b"},
        {**curve([[10, 0.0], [20, 0.0]], expect="flat"), "id": "scaling.zero"},
    ]
    written = scaling.plot(curves, tmp_path, "2026-12-03")
    assert [p.name for p in written] == [
        "2026-12-03-scaling.test.cost.png",
        "2026-12-03-scaling.b.png",
        "2026-12-03-scaling.zero.png",
    ]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)
