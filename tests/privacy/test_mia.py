"""Membership-inference metrics on constructed score distributions with known answers."""

from __future__ import annotations

import numpy as np

from rai_ft.privacy.mia import attack_metrics, attack_scores


def test_perfect_separation() -> None:
    m = attack_metrics(np.array([0.9, 0.8, 0.7]), np.array([0.1, 0.2, 0.3]))
    assert m["auc"] == 1.0 and m["tpr_at_1pct_fpr"] == 1.0


def test_identical_distributions_are_near_chance() -> None:
    rng = np.random.default_rng(0)
    m = attack_metrics(rng.normal(size=4000), rng.normal(size=4000))
    assert abs(m["auc"] - 0.5) < 0.03 and m["tpr_at_1pct_fpr"] < 0.05


def test_calibration_removes_class_difficulty() -> None:
    # class 1 is simply easier for everyone: uncalibrated loss attack is fooled when members are mostly class 1
    rng = np.random.default_rng(1)
    member_y = np.r_[np.ones(900), np.zeros(100)].astype(int)
    nonmember_y = np.r_[np.ones(100), np.zeros(900)].astype(int)
    lp = lambda y: np.where(y == 1, -0.1, -2.0) + rng.normal(scale=0.05, size=len(y))  # noqa: E731
    res = attack_scores(lp(member_y), member_y, lp(nonmember_y), nonmember_y)
    assert res["loss"]["auc"] > 0.85
    assert abs(res["calibrated"]["auc"] - 0.5) < 0.1
