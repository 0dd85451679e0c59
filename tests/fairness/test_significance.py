"""Significance of gaps: a real gap gets a small p-value, a same-rate twin does not; formulas cross-checked."""

from __future__ import annotations

import numpy as np
import pytest

from rai_ft.fairness.significance import disparity_p_values, independence_p, sign_test_p, wilson_interval


def test_independence_p_matches_a_hand_computed_chi_squared() -> None:
    from scipy.stats import chi2

    groups = np.array(["a"] * 100 + ["b"] * 100)
    selected = np.array([True] * 60 + [False] * 40 + [True] * 40 + [False] * 60)
    # table [[60, 40], [40, 60]], expected 50 everywhere: X^2 = 4 * 10^2 / 50 = 8, 1 degree of freedom
    assert independence_p(groups, selected) == pytest.approx(float(chi2.sf(8.0, 1)))


def test_a_real_gap_is_significant_and_its_equal_rate_twin_is_not() -> None:
    rng = np.random.default_rng(0)
    groups = np.array(["a", "b"] * 300)
    y_true = rng.random(600) < 0.5
    biased = np.where(groups == "a", rng.random(600) < 0.7, rng.random(600) < 0.4)
    fair = rng.random(600) < 0.55
    assert disparity_p_values(y_true, biased, groups)["demographic_parity_p_value"] < 1e-6
    assert disparity_p_values(y_true, fair, groups)["demographic_parity_p_value"] > 0.01
    assert disparity_p_values(y_true, biased, groups)["equalized_odds_p_value"] < 1e-3


def test_degenerate_tables() -> None:
    assert independence_p(np.array(["a", "a"]), np.array([True, False])) is None  # one group
    assert independence_p(np.array(["a", "b"]), np.array([False, False])) == 1.0  # nobody selected


def test_wilson_and_sign_test_against_scipy() -> None:
    from scipy.stats import binomtest

    lo, hi = wilson_interval(3, 20)
    ref = binomtest(3, 20).proportion_ci(0.95, method="wilson")
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    assert wilson_interval(0, 0) is None
    deltas = np.array([0.1] * 15 + [-0.1] * 3 + [0.0] * 4)
    assert sign_test_p(deltas) == pytest.approx(binomtest(15, 18, 0.5).pvalue)
    assert sign_test_p(np.zeros(3)) == 1.0 and sign_test_p(np.array([])) is None
