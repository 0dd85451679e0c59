"""The performance check on constructed predictions with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rai_ft.checks import AuditContext, Predictions
from rai_ft.checks.performance import PerformanceCheck, PerformanceConfig


def _ctx(y_true, y_pred) -> AuditContext:
    y_true, y_pred = np.array(y_true), np.array(y_pred)
    proba = np.eye(2)[y_pred].astype(float)
    preds = Predictions(y_true=y_true, y_pred=y_pred, proba=proba, labels=["neg", "pos"], positive_index=1)
    return AuditContext(spec=None, policy=None, predictions=preds, texts=[""] * len(y_true),
                        sensitive=pd.DataFrame(index=range(len(y_true))))


def test_known_values() -> None:
    result = PerformanceCheck(PerformanceConfig()).run(_ctx([0, 0, 1, 1], [0, 1, 1, 1]))
    m = result.metrics
    assert m["performance.accuracy"] == 0.75
    assert m["performance.macro_recall"] == (0.5 + 1.0) / 2
    assert abs(m["performance.macro_precision"] - (1.0 + 2 / 3) / 2) < 1e-12
    assert result.details["confusion_matrix"] == [[1, 1], [0, 2]]
    assert not result.findings


def test_majority_guessing_is_flagged() -> None:
    result = PerformanceCheck(PerformanceConfig()).run(_ctx([0, 0, 0, 1], [0, 0, 0, 0]))
    messages = " ".join(f.message for f in result.findings)
    assert "not above the majority-class rate" in messages
    assert "class 'pos' is never predicted correctly" in messages


def test_the_class_recall_gap_is_best_minus_worst_class_recall_cross_checked_with_sklearn() -> None:
    from sklearn.metrics import recall_score

    y_true, y_pred = [0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 0, 0, 0]  # class 1 is mostly missed
    m = PerformanceCheck(PerformanceConfig()).run(_ctx(y_true, y_pred)).metrics
    per_class = recall_score(y_true, y_pred, average=None)
    assert m["performance.worst_class_recall"] == per_class.min() == 0.25
    assert m["performance.class_recall_gap"] == per_class.max() - per_class.min() == 0.75
    even = PerformanceCheck(PerformanceConfig()).run(_ctx(y_true, [0, 0, 0, 1, 1, 1, 1, 0])).metrics
    assert even["performance.class_recall_gap"] == 0.0


def test_the_class_recall_gap_is_unmeasured_with_one_class_in_the_test_split() -> None:
    m = PerformanceCheck(PerformanceConfig()).run(_ctx([1, 1, 1], [1, 0, 1])).metrics
    assert m["performance.class_recall_gap"] is None and m["performance.worst_class_recall"] is None
