"""Bootstrap confidence intervals for group rates and the disparities between groups.

Test rows are resampled with replacement ``n_boot`` times; in each resample the group selection rate, TPR, FPR and
accuracy are recomputed (vectorised with ``bincount``), then the disparities over the groups the point estimate
compared (those with at least ``min_group_size`` rows). Percentile intervals at level ``confidence``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["bootstrap_intervals", "GROUP_RATES"]

GROUP_RATES = ("selection_rate", "tpr", "fpr", "accuracy")


def _rates(yt: np.ndarray, yp: np.ndarray, codes: np.ndarray, k: int) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.bincount(codes, minlength=k).astype(float)
        pos = np.bincount(codes, weights=yt, minlength=k)
        neg = n - pos
        sel = np.bincount(codes, weights=yp, minlength=k)
        tp = np.bincount(codes, weights=yt * yp, minlength=k)
        fp = sel - tp
        correct = np.bincount(codes, weights=(yt == yp).astype(float), minlength=k)
        return {"selection_rate": sel / n, "tpr": tp / pos, "fpr": fp / neg, "accuracy": correct / n}


def _spread(v: np.ndarray) -> tuple[float, float]:
    v = v[~np.isnan(v)]
    if len(v) < 2:
        return np.nan, np.nan
    hi, lo = v.max(), v.min()
    return hi - lo, (lo / hi if hi > 0 else 1.0)


def _disparities(r: dict[str, np.ndarray], ok: np.ndarray) -> dict[str, float]:
    dp_d, dp_r = _spread(r["selection_rate"][ok])
    tpr_d, tpr_r = _spread(r["tpr"][ok])
    fpr_d, fpr_r = _spread(r["fpr"][ok])
    acc_d, _ = _spread(r["accuracy"][ok])
    return {"demographic_parity_difference": dp_d, "demographic_parity_ratio": dp_r,
            "equalized_odds_difference": max(tpr_d, fpr_d), "equalized_odds_ratio": min(tpr_r, fpr_r),
            "accuracy_difference": acc_d}


def bootstrap_intervals(y_true_pos: np.ndarray, y_pred_pos: np.ndarray, groups: np.ndarray, sufficient: dict[str, bool],
                        n_boot: int = 200, confidence: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """Percentile intervals: ``{"groups": {group: {rate: [lo, hi]}}, "disparities": {metric: [lo, hi]}}``.

    Args:
        y_true_pos: 1 where the gold label is the favourable one.
        y_pred_pos: 1 where the prediction is the favourable one.
        groups: Group label per row (strings).
        sufficient: Group -> whether it is large enough to be compared (as in the point estimate).
    """
    names, codes = np.unique(groups.astype(str), return_inverse=True)
    k, n = len(names), len(codes)
    ok = np.array([sufficient.get(str(g), False) for g in names])
    yt, yp = y_true_pos.astype(float), y_pred_pos.astype(float)
    rng = np.random.default_rng(seed)
    rates = {m: np.empty((n_boot, k)) for m in GROUP_RATES}
    disp: dict[str, list[float]] = {}
    for b in range(n_boot):
        idx = rng.integers(0, n, size=n)
        r = _rates(yt[idx], yp[idx], codes[idx], k)
        for m in GROUP_RATES:
            rates[m][b] = r[m]
        for m, v in _disparities(r, ok).items():
            disp.setdefault(m, []).append(v)
    lo_q, hi_q = 50 * (1 - confidence), 100 - 50 * (1 - confidence)

    def interval(values: np.ndarray) -> list[float] | None:
        values = values[~np.isnan(values)]
        if len(values) < max(10, n_boot // 2):  # too many resamples without the quantity: no interval
            return None
        return [float(np.percentile(values, lo_q)), float(np.percentile(values, hi_q))]

    return {
        "groups": {str(g): {m: interval(rates[m][:, j]) for m in GROUP_RATES} for j, g in enumerate(names)},
        "disparities": {m: interval(np.asarray(v, dtype=float)) for m, v in disp.items()},
        "n_boot": n_boot, "confidence": confidence,
    }
