"""Check ``performance``: accuracy, macro precision/recall/F1, per-class report, confusion matrix, and the per-class
accuracy gap (best minus worst class recall: the gap to watch when the data has no group columns)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.results import CheckResult, Finding

__all__ = ["PerformanceCheck", "PerformanceConfig"]


class PerformanceConfig(CheckConfig):
    """No settings yet; the model exists so that unknown keys are rejected."""


def _class_gap(recall: np.ndarray, support: np.ndarray) -> dict[str, float | None]:
    """The worst class's recall (its accuracy) and best minus worst, over the classes the test split holds."""
    held = recall[support > 0]
    if len(held) < 2:
        return {"performance.worst_class_recall": None, "performance.class_recall_gap": None}
    return {"performance.worst_class_recall": float(held.min()),
            "performance.class_recall_gap": float(held.max() - held.min())}


class PerformanceCheck(Check[PerformanceConfig]):
    """Standard classification metrics on the test split."""

    name = "performance"
    config_model = PerformanceConfig
    metric_patterns = (
        "performance.accuracy",
        "performance.macro_precision",
        "performance.macro_recall",
        "performance.macro_f1",
        "performance.balanced_accuracy",
        "performance.n_test",
        "performance.worst_class_recall",
        "performance.class_recall_gap",
    )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compute the metrics from the shared predictions."""
        pred = ctx.predictions
        k = len(pred.labels)
        idx = list(range(k))
        p, r, f, support = precision_recall_fscore_support(
            pred.y_true, pred.y_pred, labels=idx, zero_division=0
        )
        cm = confusion_matrix(pred.y_true, pred.y_pred, labels=idx)
        per_class = [
            {"label": pred.labels[i], "precision": float(p[i]), "recall": float(r[i]),
             "f1": float(f[i]), "support": int(support[i])}
            for i in idx
        ]
        accuracy = float(accuracy_score(pred.y_true, pred.y_pred))
        metrics: dict[str, float | None] = {
            "performance.accuracy": accuracy,
            "performance.macro_precision": float(p.mean()),
            "performance.macro_recall": float(r.mean()),
            "performance.macro_f1": float(f.mean()),
            "performance.balanced_accuracy": float(r.mean()),
            "performance.n_test": float(len(pred)),
            **_class_gap(r, support),
        }
        majority = float(support.max() / max(support.sum(), 1))
        findings = []
        if accuracy <= majority + 1e-9:
            findings.append(Finding(
                "warn",
                f"accuracy {accuracy:.3f} is not above the majority-class rate {majority:.3f}",
                source=self.name,
            ))
        for row in per_class:
            if row["support"] and row["recall"] == 0.0:
                findings.append(Finding("warn", f"class {row['label']!r} is never predicted correctly",
                                        source=self.name))
        return CheckResult(
            name=self.name,
            metrics=metrics,
            findings=findings,
            details={"per_class": per_class, "confusion_matrix": cm.tolist(), "labels": pred.labels,
                     "majority_rate": majority},
        )
