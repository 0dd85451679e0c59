"""Bootstrap intervals: exact on degenerate cases, honest coverage on simulated ones, narrower with more data."""

from __future__ import annotations

import numpy as np

from rai_ft.fairness.bootstrap import bootstrap_intervals


def test_deterministic_groups_give_a_point_interval() -> None:
    groups = np.array(["a"] * 50 + ["b"] * 50)
    yp = np.array([1] * 50 + [0] * 50)
    ci = bootstrap_intervals(yp, yp, groups, {"a": True, "b": True}, n_boot=100)
    assert ci["disparities"]["demographic_parity_difference"] == [1.0, 1.0]
    assert ci["groups"]["a"]["selection_rate"] == [1.0, 1.0]


def _simulate(rng: np.random.Generator, n: int, rates=(0.5, 0.3)) -> tuple[np.ndarray, np.ndarray]:
    groups = rng.choice(["a", "b"], size=n)
    yp = (rng.random(n) < np.where(groups == "a", rates[0], rates[1])).astype(int)
    return groups, yp


def test_interval_covers_the_true_gap_about_as_often_as_promised() -> None:
    rng = np.random.default_rng(0)
    hits = 0
    for rep in range(40):
        groups, yp = _simulate(rng, 400)
        lo, hi = bootstrap_intervals(yp, yp, groups, {"a": True, "b": True}, n_boot=200, seed=rep)[
            "disparities"]["demographic_parity_difference"]
        hits += lo <= 0.2 <= hi
    assert hits >= 34  # 95% nominal; >= 85% observed in 40 trials


def test_more_data_narrower_interval() -> None:
    rng = np.random.default_rng(1)
    widths = []
    for n in (200, 3200):
        groups, yp = _simulate(rng, n)
        lo, hi = bootstrap_intervals(yp, yp, groups, {"a": True, "b": True}, n_boot=200)["disparities"][
            "demographic_parity_difference"]
        widths.append(hi - lo)
    assert widths[1] < widths[0] / 2


def test_insufficient_groups_are_left_out_of_the_disparity() -> None:
    groups = np.array(["a"] * 60 + ["b"] * 60 + ["c"] * 3)
    yp = np.array([1] * 60 + [0] * 60 + [1] * 3)
    ci = bootstrap_intervals(yp, yp, groups, {"a": True, "b": True, "c": False}, n_boot=50)
    assert ci["disparities"]["demographic_parity_difference"] == [1.0, 1.0]
    only_one = bootstrap_intervals(yp, yp, groups, {"a": True, "b": False, "c": False}, n_boot=50)
    assert only_one["disparities"]["demographic_parity_difference"] is None
