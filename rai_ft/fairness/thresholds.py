"""Group-specific decision thresholds (Fairlearn ``ThresholdOptimizer``), fitted on validation scores and stored as
plain JSON next to the model (no pickles), then applied by ``rai-ft audit`` and :func:`rai_ft.predict.predict`.

Post-processing needs each example's sensitive attribute at prediction time; that is the price of the method.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rai_ft.errors import SpecError

__all__ = ["fit_thresholds", "apply_thresholds", "threshold_predictions", "save_thresholds", "load_thresholds",
           "THRESHOLDS_FILE", "POOLED", "MSG_UNKNOWN_GROUP", "MSG_DEGENERATE_GROUP"]

THRESHOLDS_FILE = "fairness_thresholds.json"
POOLED = "(pooled small groups)"
MSG_UNKNOWN_GROUP = ("group {group!r} of {column!r} was not seen when the fairness thresholds were fitted "
                     "(known: {known}); a post-processed model needs a known group for every example")
MSG_DEGENERATE_GROUP = ("fairness_mitigation: group {group!r} of {column!r} has only one label in the validation "
                        "split, so no threshold can be fitted for it; raise min_group_size (small groups are then "
                        "pooled) or use a larger validation split")


def pool_small_groups(groups: np.ndarray, min_group_size: int) -> tuple[np.ndarray, list[str]]:
    """Groups with fewer than *min_group_size* examples relabelled :data:`POOLED`; returns (groups, pooled names)."""
    groups = np.asarray(groups).astype(str)
    names, counts = np.unique(groups, return_counts=True)
    small = sorted(str(g) for g, c in zip(names, counts) if c < min_group_size)
    if not small:
        return groups, []
    return np.where(np.isin(groups, small), POOLED, groups), small


def fit_thresholds(p_pos: np.ndarray, y_pos: np.ndarray, groups: np.ndarray, constraint: str, objective: str,
                   column: str, seed: int = 0, min_group_size: int = 0) -> dict[str, Any]:
    """Fit ThresholdOptimizer(prefit=True) on favourable-class scores; returns the JSON-ready thresholds.

    Groups with fewer than *min_group_size* validation examples share one pooled set of thresholds, which is also
    used at prediction time for groups never seen in validation. Without small groups, an unseen group is an error.
    """
    import pandas as pd
    from fairlearn.postprocessing import ThresholdOptimizer
    from sklearn.base import BaseEstimator, ClassifierMixin

    class _Scores(BaseEstimator, ClassifierMixin):  # the fine-tuned model's score, passed through as the only feature
        def fit(self, X: Any, y: Any) -> "_Scores":
            self.classes_ = np.array([0, 1])
            return self

        def predict_proba(self, X: Any) -> np.ndarray:
            s = np.asarray(X, dtype=np.float64)[:, 0]
            return np.c_[1 - s, s]

        def predict(self, X: Any) -> np.ndarray:
            return (np.asarray(X, dtype=np.float64)[:, 0] > 0.5).astype(int)

    groups, pooled = pool_small_groups(groups, min_group_size)
    y_pos = np.asarray(y_pos, dtype=int)
    for g in np.unique(groups):
        if len(np.unique(y_pos[groups == g])) < 2:
            raise SpecError(MSG_DEGENERATE_GROUP.format(group=str(g), column=column),
                            field="guards.fairness_mitigation.min_group_size")
    opt = ThresholdOptimizer(estimator=_Scores().fit(None, None), constraints=constraint, objective=objective,
                             prefit=True, predict_method="predict_proba")
    opt.fit(pd.DataFrame({"score": np.asarray(p_pos, dtype=np.float64)}), y_pos, sensitive_features=groups)
    per_group = {}
    for g, b in opt.interpolated_thresholder_.interpolation_dict.items():
        per_group[str(g)] = {"p0": float(b["p0"]), "operator0": b["operation0"].operator,
                             "threshold0": float(b["operation0"].threshold), "p1": float(b["p1"]),
                             "operator1": b["operation1"].operator, "threshold1": float(b["operation1"].threshold)}
    return {"method": "threshold_optimizer", "constraint": constraint, "objective": objective, "column": column,
            "seed": seed, "groups": per_group, "pooled": pooled,
            "note": "randomised thresholds: with probability p0 apply (operator0, threshold0), else (operator1, "
                    "threshold1), to the favourable-class probability; needs the sensitive attribute at prediction"}


def _op(operator: str, threshold: float, s: np.ndarray) -> np.ndarray:
    return s > threshold if operator == ">" else s < threshold


def apply_thresholds(p_pos: np.ndarray, groups: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """1 where the favourable label is predicted, per the fitted group thresholds (seeded randomisation)."""
    groups = np.asarray(groups).astype(str)
    unknown = sorted(set(groups) - set(spec["groups"]))
    if unknown and POOLED in spec["groups"]:
        groups = np.where(np.isin(groups, unknown), POOLED, groups)
    elif unknown:
        raise SpecError(MSG_UNKNOWN_GROUP.format(group=str(unknown[0]), column=spec["column"],
                                                 known=", ".join(sorted(spec["groups"]))))
    s = np.asarray(p_pos, dtype=np.float64)
    prob = np.zeros(len(s))
    for g, t in spec["groups"].items():
        m = groups == g
        prob[m] = t["p0"] * _op(t["operator0"], t["threshold0"], s[m]) + t["p1"] * _op(t["operator1"], t["threshold1"], s[m])
    draws = np.random.default_rng(spec.get("seed", 0)).random(len(s))
    return (draws < prob).astype(int)


def threshold_predictions(preds: Any, groups: np.ndarray, spec: dict[str, Any]) -> Any:
    """A copy of :class:`~rai_ft.checks.base.Predictions` whose ``y_pred`` follows the group thresholds (binary)."""
    from dataclasses import replace

    pos = preds.positive_index
    fav = apply_thresholds(preds.proba[:, pos], groups, spec)
    return replace(preds, y_pred=np.where(fav == 1, pos, 1 - pos))


def save_thresholds(model_dir: Path, spec: dict[str, Any]) -> None:
    """Write the thresholds next to the weights."""
    (Path(model_dir) / THRESHOLDS_FILE).write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")


def load_thresholds(model_dir: str | Path) -> dict[str, Any] | None:
    """The thresholds saved with a model, or None."""
    path = Path(model_dir) / THRESHOLDS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
