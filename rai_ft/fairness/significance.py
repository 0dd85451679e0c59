"""Is a gap evidence or noise? Significance tests for group disparities and paired counterfactual statistics.

A percentile bootstrap of a max - min gap never contains 0, so its interval cannot tell a real gap from noise at a
few hundred rows a group. These tests can:

- demographic parity: Pearson's chi-squared test of independence of group and selection (groups x {selected, not});
- equalized odds: the same test among true positives (TPR) and among true negatives (FPR), Bonferroni-combined
  (2 x the smaller p-value, at most 1);
- counterfactuals: a Wilson interval of the flip rate and a two-sided sign test of the score changes (are swaps
  pushing the favourable score one way more often than the other?).

Without continuity correction; a table with an all-zero column (nobody selected, say) gives p = 1 (no difference).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["independence_p", "disparity_p_values", "wilson_interval", "sign_test_p"]


def independence_p(groups: np.ndarray, outcome: np.ndarray) -> float | None:
    """p-value of Pearson's chi-squared test that *outcome* (bool) is independent of *groups*; None if < 2 groups."""
    from scipy.stats import chi2_contingency

    names = np.unique(groups)
    if len(names) < 2 or len(outcome) == 0:
        return None
    table = np.array([[int(np.sum(outcome[groups == g])), int(np.sum(~outcome[groups == g]))] for g in names])
    if (table.sum(axis=0) == 0).any():
        return 1.0
    return float(chi2_contingency(table, correction=False).pvalue)


def disparity_p_values(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray) -> dict[str, float | None]:
    """p-values for demographic parity and equalized odds over the given (sufficient) groups' rows."""
    dp = independence_p(groups, y_pred)
    tpr = independence_p(groups[y_true], y_pred[y_true])
    fpr = independence_p(groups[~y_true], y_pred[~y_true])
    eo = None if tpr is None or fpr is None else min(1.0, 2 * min(tpr, fpr))
    return {"demographic_parity_p_value": dp, "equalized_odds_p_value": eo}


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> list[float] | None:
    """Wilson score interval of a proportion k/n."""
    from scipy.stats import norm

    if n == 0:
        return None
    z = float(norm.ppf(0.5 + confidence / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def sign_test_p(deltas: np.ndarray, tol: float = 1e-9) -> float | None:
    """Two-sided sign test that positive and negative score changes are equally likely (ties dropped)."""
    from scipy.stats import binomtest

    pos, neg = int(np.sum(deltas > tol)), int(np.sum(deltas < -tol))
    if pos + neg == 0:
        return None if len(deltas) == 0 else 1.0
    return float(binomtest(pos, pos + neg, 0.5).pvalue)
