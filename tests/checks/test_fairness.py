"""The fairness check on constructed cases with known disparities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rai_ft.checks import AuditContext, Predictions
from rai_ft.checks.fairness import FairnessCheck, FairnessConfig


def _ctx(y_true, y_pred, sensitive: dict) -> AuditContext:
    y_true, y_pred = np.array(y_true), np.array(y_pred)
    preds = Predictions(y_true=y_true, y_pred=y_pred, proba=np.eye(2)[y_pred].astype(float),
                        labels=["no", "yes"], positive_index=1)
    return AuditContext(spec=None, policy=None, predictions=preds, texts=[""] * len(y_true),
                        sensitive=pd.DataFrame(sensitive))


def test_demographic_parity_and_equalized_odds_known_answer() -> None:
    # group a: 4 of 10 selected; group b: 8 of 10 selected.
    groups = ["a"] * 10 + ["b"] * 10
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0] + [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0] + [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    result = FairnessCheck(FairnessConfig(min_group_size=5)).run(_ctx(y_true, y_pred, {"g": groups}))
    m = result.metrics
    assert m["fairness.g.demographic_parity_difference"] == pytest.approx(0.8 - 0.4)
    assert m["fairness.g.demographic_parity_ratio"] == pytest.approx(0.4 / 0.8)
    # TPR a = 3/4, b = 5/5; FPR a = 1/6, b = 3/5
    assert m["fairness.g.equalized_odds_difference"] == pytest.approx(max(1 - 0.75, 0.6 - 1 / 6))
    assert m["fairness.worst.demographic_parity_difference"] == pytest.approx(0.4)
    rows = {r["group"]: r for r in result.details["attributes"]["g"]["groups"]}
    assert rows["a"]["size"] == 10 and rows["a"]["tpr"] == pytest.approx(0.75)


def test_small_groups_are_flagged_not_hidden_and_not_compared() -> None:
    groups = ["big"] * 40 + ["tiny"] * 3
    y_true = [0, 1] * 20 + [1, 1, 1]
    y_pred = [0, 1] * 20 + [0, 0, 0]
    result = FairnessCheck(FairnessConfig(min_group_size=10)).run(_ctx(y_true, y_pred, {"g": groups}))
    rows = {r["group"]: r for r in result.details["attributes"]["g"]["groups"]}
    assert rows["tiny"]["sufficient"] is False and rows["tiny"]["size"] == 3
    assert result.metrics["fairness.g.n_small_groups"] == 1
    # only one sufficient group: the gap is unmeasurable (None), which the gate will fail closed
    assert result.metrics["fairness.g.demographic_parity_difference"] is None
    text = " ".join(f.message for f in result.findings)
    assert "tiny (n=3)" in text and "insufficient evidence" in text


def test_intersection_of_attributes() -> None:
    n = 40
    sex = ["f", "m"] * (n // 2)
    race = ["x"] * (n // 2) + ["y"] * (n // 2)
    y = [0, 1, 1, 0] * (n // 4)
    result = FairnessCheck(FairnessConfig(min_group_size=5)).run(_ctx(y, y, {"sex": sex, "race": race}))
    assert "sex*race" in result.details["attributes"]
    assert {r["group"] for r in result.details["attributes"]["sex*race"]["groups"]} == {
        "f & x", "m & x", "f & y", "m & y"}
    assert result.metrics["fairness.sex*race.accuracy_difference"] == 0.0


def test_no_sensitive_columns_is_skipped() -> None:
    result = FairnessCheck(FairnessConfig()).run(_ctx([0, 1], [0, 1], {}))
    assert result.status == "skipped" and "no sensitive columns" in result.error
    assert not any(isinstance(v, float) and math.isnan(v) for v in result.metrics.values())


def _one_measurable_one_not():
    """Attribute g: a 0.4 selection-rate gap; attribute h: one group only, so it cannot be measured."""
    groups = ["a"] * 10 + ["b"] * 10
    y_true = [1, 0] * 10
    y_pred = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0] + [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    return _ctx(y_true, y_pred, {"g": groups, "h": ["only"] * 20})


def test_worst_is_unmeasured_when_any_attribute_is() -> None:
    from rai_ft.checks.fairness import MSG_WORST_UNMEASURED

    result = FairnessCheck(FairnessConfig(min_group_size=5, intersections=False)).run(_one_measurable_one_not())
    assert result.metrics["fairness.g.demographic_parity_difference"] == pytest.approx(0.4)
    assert result.metrics["fairness.worst.demographic_parity_difference"] is None  # the gate fails closed on it
    assert "fairness.worst.demographic_parity_difference" not in result.metric_ci
    assert MSG_WORST_UNMEASURED.format(metric="demographic_parity_difference", attrs="h") in [
        f.message for f in result.findings]


def test_worst_skips_unmeasured_attributes_only_when_the_policy_says_so() -> None:
    from rai_ft.checks.fairness import MSG_WORST_SKIPS

    cfg = FairnessConfig(min_group_size=5, intersections=False, worst_skips_unmeasured=True)
    result = FairnessCheck(cfg).run(_one_measurable_one_not())
    assert result.metrics["fairness.worst.demographic_parity_difference"] == pytest.approx(0.4)
    assert MSG_WORST_SKIPS.format(metric="demographic_parity_difference", attrs="h") in [
        f.message for f in result.findings]
