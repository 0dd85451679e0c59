"""Group thresholds: small groups pooled, unseen groups, degenerate groups (fitted on constructed scores)."""

from __future__ import annotations

import numpy as np
import pytest

from rai_ft.errors import SpecError
from rai_ft.fairness.thresholds import (MSG_DEGENERATE_GROUP, POOLED, GroupThresholds, apply_thresholds,
                                        fit_thresholds, pool_small_groups)


def scored(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group a scores high, b low, c (8 examples) in between; labels follow the score."""
    rng = np.random.default_rng(seed)
    groups = np.array(["a"] * 200 + ["b"] * 200 + ["c"] * 8)
    shift = np.where(groups == "a", 0.2, np.where(groups == "b", -0.2, 0.0))
    scores = np.clip(rng.uniform(0, 1, len(groups)) + shift, 0.01, 0.99)
    labels = (rng.uniform(0, 1, len(groups)) < scores).astype(int)
    labels[groups == "c"] = [0, 1] * 4
    return scores, labels, groups


def test_pool_small_groups_names_what_it_pooled() -> None:
    pooled, names = pool_small_groups(np.array(["a"] * 5 + ["b"] * 2 + ["c"]), 3)
    assert names == ["b", "c"]
    assert list(pooled) == ["a"] * 5 + [POOLED] * 3
    same, none = pool_small_groups(np.array(["a", "b"]), 0)
    assert none == [] and list(same) == ["a", "b"]


def test_small_groups_share_thresholds_and_unseen_groups_use_them() -> None:
    scores, labels, groups = scored()
    spec = fit_thresholds(scores, labels, groups, "demographic_parity", "accuracy_score", "g", min_group_size=30)
    assert spec["pooled"] == ["c"]
    assert set(spec["groups"]) == {"a", "b", POOLED}
    probe = np.linspace(0.01, 0.99, 50)
    as_c = apply_thresholds(probe, np.array(["c"] * 50), spec)
    as_unseen = apply_thresholds(probe, np.array(["never seen"] * 50), spec)
    as_pooled = apply_thresholds(probe, np.array([POOLED] * 50), spec)
    assert (as_c == as_pooled).all() and (as_unseen == as_pooled).all()
    # parity is enforced between the large groups
    fav = apply_thresholds(scores, groups, spec)
    assert abs(fav[groups == "a"].mean() - fav[groups == "b"].mean()) < 0.1


def test_unseen_group_is_an_error_without_pooling() -> None:
    scores, labels, groups = scored()
    spec = fit_thresholds(scores, labels, groups, "demographic_parity", "accuracy_score", "g")
    assert spec["pooled"] == []
    with pytest.raises(SpecError, match="'d' of 'g' was not seen"):
        apply_thresholds(scores[:3], np.array(["a", "b", "d"]), spec)


def test_a_group_with_one_label_is_refused_with_the_fix() -> None:
    scores, labels, groups = scored()
    labels[groups == "c"] = 1
    with pytest.raises(SpecError) as err:
        fit_thresholds(scores, labels, groups, "demographic_parity", "accuracy_score", "g")
    assert err.value.message == MSG_DEGENERATE_GROUP.format(group="c", column="g")
    assert err.value.field == "guards.fairness_mitigation.min_group_size"


@pytest.mark.parametrize("positive", [0, 1])
def test_decision_scores_agree_with_the_decisions(positive: int) -> None:
    """The scores an attack reads (per row group) have their argmax exactly where the thresholds decide."""
    rng = np.random.default_rng(3)
    spec = {"column": "g", "constraint": "demographic_parity", "seed": 5, "groups": {
        "up": {"p0": 0.3, "operator0": ">", "threshold0": 0.4, "p1": 0.7, "operator1": ">", "threshold1": 0.6},
        "down": {"p0": 0.5, "operator0": "<", "threshold0": 0.5, "p1": 0.5, "operator1": ">", "threshold1": 0.8},
        "never": {"p0": 1.0, "operator0": ">", "threshold0": 2.0, "p1": 0.0, "operator1": ">", "threshold1": 2.0}}}
    groups = rng.choice(["up", "down", "never"], 300)
    post = GroupThresholds(spec, groups, positive)
    p_pos = rng.uniform(0, 1, 300)
    proba = np.c_[1 - p_pos, p_pos] if positive == 1 else np.c_[p_pos, 1 - p_pos]
    rows = np.arange(300)
    decided = post.decide(proba, rows)
    ops = {">": np.greater, "<": np.less}  # the rule written out here, independent of the module
    rule = np.array([t["p0"] * ops[t["operator0"]](p, t["threshold0"])
                     + t["p1"] * ops[t["operator1"]](p, t["threshold1"])
                     for p, t in zip(p_pos, (spec["groups"][g] for g in groups))])
    expected = np.random.default_rng(spec["seed"]).random(300) < rule  # one seeded draw per row, in order
    assert np.array_equal(decided == positive, expected)
    assert np.array_equal(apply_thresholds(p_pos, groups, spec) == 1, expected)
    seen = np.zeros(300, dtype=bool)
    for part, transform in post.partition(rows):
        assert np.array_equal(transform(proba[part]).argmax(1), decided[part])
        seen[part] = True
    assert seen.all()
