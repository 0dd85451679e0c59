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

__all__ = ["fit_thresholds", "apply_thresholds", "GroupThresholds", "save_thresholds", "load_thresholds",
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


def _known(groups: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """*groups* as strings, unseen ones mapped to the pooled thresholds (an error when there are none)."""
    groups = np.asarray(groups).astype(str)
    unknown = sorted(set(groups) - set(spec["groups"]))
    if unknown and POOLED in spec["groups"]:
        return np.where(np.isin(groups, unknown), POOLED, groups)
    if unknown:
        raise SpecError(MSG_UNKNOWN_GROUP.format(group=str(unknown[0]), column=spec["column"],
                                                 known=", ".join(sorted(spec["groups"]))))
    return groups


def _rule_probability(t: dict[str, Any], s: np.ndarray) -> np.ndarray:
    """Probability that one group's randomised rule *t* decides favourably at scores *s*."""
    return t["p0"] * _op(t["operator0"], t["threshold0"], s) + t["p1"] * _op(t["operator1"], t["threshold1"], s)


def _fav_probability(s: np.ndarray, groups: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """Probability of the favourable decision for favourable-class scores *s* of known *groups*."""
    prob = np.zeros(len(s))
    for g, t in spec["groups"].items():
        m = groups == g
        prob[m] = _rule_probability(t, s[m])
    return prob


def apply_thresholds(p_pos: np.ndarray, groups: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """1 where the favourable label is predicted, per the fitted group thresholds (seeded randomisation)."""
    s = np.asarray(p_pos, dtype=np.float64)
    return GroupThresholds(spec, groups, positive_index=1).decide(np.c_[1 - s, s], np.arange(len(s)))


def _favourable_set(t: dict[str, Any], u: float) -> tuple[tuple[float, float], ...]:
    """The favourable scores of one group's rule at draw *u*, as open intervals (±inf at the ends of [0, 1])."""
    cuts = sorted({0.0, 1.0, *(min(1.0, max(0.0, float(t[k]))) for k in ("threshold0", "threshold1"))})
    inside = []
    for a, b in zip(cuts, cuts[1:]):
        inside.append((a, b, bool(u < _rule_probability(t, np.array([(a + b) / 2]))[0])))
    out: list[list[float]] = []
    for a, b, fav in inside:
        if fav and out and out[-1][1] == a:
            out[-1][1] = b
        elif fav:
            out.append([a, b])
    return tuple((-np.inf if a == 0.0 else a, np.inf if b == 1.0 else b) for a, b in out)


def _margin(s: np.ndarray, favourable: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Signed distance of each score to the decision boundary: > 0 inside the favourable set."""
    if not favourable:
        return np.full(len(s), -1.0)
    best = np.full(len(s), -np.inf)
    for lo, hi in favourable:
        best = np.maximum(best, np.minimum(s - lo, hi - s))  # > 0 inside (lo, hi), minus the distance outside
    return np.clip(best, -1.0, 1.0)


class GroupThresholds:
    """Fitted group thresholds bound to the rows of one split: row ``i`` is decided with its group and draw.

    One seeded draw per row, in the split's order (:func:`apply_thresholds` is this on one array), so the audit's
    predictions and every re-decided variant of a row (a counterfactual text, an adversarial candidate) use the
    row's own group and randomisation: a counterfactual text keeps the group recorded in the data, not the group
    its words now name.
    """

    def __init__(self, spec: dict[str, Any], groups: np.ndarray, positive_index: int) -> None:
        self.spec, self.pos = spec, int(positive_index)
        self.groups = _known(groups, spec)
        self.draws = np.random.default_rng(spec.get("seed", 0)).random(len(self.groups))
        self.description = (f"group thresholds by {spec['column']!r} ({spec['constraint']}); each text is decided "
                            "with the group and randomisation draw of the test row it came from")

    def decide(self, proba: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Label indices: the favourable label where the row's thresholds say so, else the other (binary)."""
        s = np.asarray(proba[:, self.pos], dtype=np.float64)
        fav = self.draws[rows] < _fav_probability(s, self.groups[rows], self.spec)
        return np.where(fav, self.pos, 1 - self.pos)

    def partition(self, rows: np.ndarray) -> list[tuple[np.ndarray, Any]]:
        """Rows sharing one favourable set, each with probabilities -> decision scores (argmax = decision)."""
        parts: dict[tuple, list[int]] = {}
        for r in rows:
            g = str(self.groups[r])
            parts.setdefault((g, _favourable_set(self.spec["groups"][g], float(self.draws[r]))), []).append(int(r))
        return [(np.asarray(rs), self._scores(fav)) for (_, fav), rs in parts.items()]

    def _scores(self, favourable: tuple[tuple[float, float], ...]) -> Any:
        def transform(proba: np.ndarray) -> np.ndarray:
            m = _margin(np.asarray(proba[:, self.pos], dtype=np.float64), favourable)
            out = np.empty_like(proba)
            out[:, self.pos], out[:, 1 - self.pos] = (1 + m) / 2, (1 - m) / 2
            return out
        return transform


def save_thresholds(model_dir: Path, spec: dict[str, Any]) -> None:
    """Write the thresholds next to the weights."""
    (Path(model_dir) / THRESHOLDS_FILE).write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")


def load_thresholds(model_dir: str | Path) -> dict[str, Any] | None:
    """The thresholds saved with a model, or None."""
    path = Path(model_dir) / THRESHOLDS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
