"""Membership-inference attacks on a classifier's per-example losses (no shadow models needed).

``loss``: members tend to have lower loss (Yeom et al., 2018). ``calibrated``: the same score z-normalised
per class with statistics from held-out non-members (a reference-free, likelihood-ratio-style calibration
in the spirit of Carlini et al.'s LiRA, using the population of non-members instead of shadow models), so
that easy classes do not look like members. AUC 0.5 = the attacker cannot tell members from non-members.
For a tagger an example is a sentence and its score the mean log-probability of its true tags
(:func:`mean_logprob`); the "class" that calibrates it is whatever group the caller passes (e.g. an entity type).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

__all__ = ["attack_scores", "attack_metrics", "true_label_logprob", "mean_logprob"]


def true_label_logprob(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log p(y_i | x_i) for each example (higher = lower loss)."""
    return np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0))


def mean_logprob(proba: list[np.ndarray], y: list[np.ndarray]) -> np.ndarray:
    """Per sequence, the mean over its positions of log p(y_j | x): minus its mean cross-entropy loss."""
    return np.array([true_label_logprob(p, np.asarray(t, dtype=int)).mean() for p, t in zip(proba, y)])


def attack_metrics(member_scores: np.ndarray, nonmember_scores: np.ndarray) -> dict[str, float]:
    """AUC and TPR at 1% / 10% FPR of 'score > threshold means member'."""
    y = np.r_[np.ones(len(member_scores)), np.zeros(len(nonmember_scores))]
    s = np.r_[member_scores, nonmember_scores]
    fpr, tpr, _ = roc_curve(y, s)
    return {
        "auc": float(roc_auc_score(y, s)),
        "tpr_at_1pct_fpr": float(tpr[fpr <= 0.01].max(initial=0.0)),
        "tpr_at_10pct_fpr": float(tpr[fpr <= 0.10].max(initial=0.0)),
    }


def attack_scores(member_lp: np.ndarray, member_y: np.ndarray, nonmember_lp: np.ndarray, nonmember_y: np.ndarray,
                  seed: int = 0) -> dict[str, dict[str, float]]:
    """Run both attacks. Half of the non-members calibrate the second attack and are not scored by it."""
    results = {"loss": attack_metrics(member_lp, nonmember_lp)}
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(nonmember_lp))
    calib, held = order[: len(order) // 2], order[len(order) // 2:]
    mu = {c: nonmember_lp[calib][nonmember_y[calib] == c].mean() for c in np.unique(nonmember_y[calib])}
    sd = {c: nonmember_lp[calib][nonmember_y[calib] == c].std() + 1e-6 for c in mu}

    def z(lp: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.array([(v - mu.get(c, 0.0)) / sd.get(c, 1.0) for v, c in zip(lp, y)])

    if len(held) >= 2 and mu:
        results["calibrated"] = attack_metrics(z(member_lp, member_y), z(nonmember_lp[held], nonmember_y[held]))
    return results
