"""Check ``fairness``: Fairlearn group metrics per sensitive attribute and their intersection.

Per group: size, selection rate (of the favourable label), accuracy, TPR and FPR. Per attribute:
demographic-parity and equalized-odds difference and ratio, accuracy difference. Disparities are
computed over groups with at least ``min_group_size`` members; smaller groups stay in the tables,
flagged as insufficient evidence, and a finding names them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.fairness.bootstrap import bootstrap_intervals
from rai_ft.fairness.significance import disparity_p_values
from rai_ft.results import CheckResult, Finding

__all__ = ["FairnessCheck", "FairnessConfig", "DISPARITY_METRICS", "INTERSECTION_SEP", "WORST", "MSG_WORST_SKIPS",
           "MSG_WORST_UNMEASURED"]

MSG_WORST_UNMEASURED = ("fairness.worst.{metric} is unmeasured because {attrs} could not be measured; the worst over "
                        "the rest would hide them (set worst_skips_unmeasured: true to accept that)")
MSG_WORST_SKIPS = "fairness.worst.{metric} skips {attrs}, which could not be measured (worst_skips_unmeasured: true)"

INTERSECTION_SEP = "*"
WORST = "worst"
# metric -> True if larger is worse (differences), False if smaller is worse (ratios)
DISPARITY_METRICS: dict[str, bool] = {
    "demographic_parity_difference": True,
    "demographic_parity_ratio": False,
    "equalized_odds_difference": True,
    "equalized_odds_ratio": False,
    "accuracy_difference": True,
}


class FairnessConfig(CheckConfig):
    """Settings of the fairness check."""

    min_group_size: int = Field(30, ge=1, description="Groups smaller than this are reported but not compared.")
    intersections: bool = Field(True, description="Also audit the intersection of all sensitive attributes.")
    bootstrap: int = Field(200, ge=0, le=10_000, description="Bootstrap resamples for confidence intervals (0 = off).")
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    seed: int = 0
    worst_skips_unmeasured: bool = Field(
        False, description="fairness.worst.* over the attributes that could be measured only (a finding names the "
                           "skipped ones); by default one unmeasurable attribute makes worst unmeasured (gate fails).")


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def _group_table(y_true: np.ndarray, y_pred: np.ndarray, groups: pd.Series, pos: int,
                 min_size: int) -> list[dict[str, Any]]:
    """Per-group metrics via Fairlearn's MetricFrame."""
    from fairlearn.metrics import MetricFrame, count, selection_rate

    yt = (y_true == pos).astype(int)
    yp = (y_pred == pos).astype(int)

    def tpr(a: np.ndarray, b: np.ndarray) -> float:
        pos_n = int(a.sum())
        return float(((a == 1) & (b == 1)).sum() / pos_n) if pos_n else math.nan

    def fpr(a: np.ndarray, b: np.ndarray) -> float:
        neg_n = int((a == 0).sum())
        return float(((a == 0) & (b == 1)).sum() / neg_n) if neg_n else math.nan

    mf = MetricFrame(
        metrics={"size": count, "selection_rate": selection_rate, "tpr": tpr, "fpr": fpr},
        y_true=yt, y_pred=yp, sensitive_features=groups.astype(str).to_numpy(),
    )
    acc = MetricFrame(metrics=lambda a, b: float((a == b).mean()), y_true=y_true, y_pred=y_pred,
                      sensitive_features=groups.astype(str).to_numpy())
    rows = []
    for group, row in mf.by_group.iterrows():
        size = int(row["size"])
        rows.append({
            "group": str(group),
            "size": size,
            "positives": int(yt[groups.astype(str).to_numpy() == group].sum()),
            "selection_rate": float(row["selection_rate"]),
            "accuracy": float(acc.by_group.loc[group]),
            "tpr": None if math.isnan(row["tpr"]) else float(row["tpr"]),
            "fpr": None if math.isnan(row["fpr"]) else float(row["fpr"]),
            "sufficient": size >= min_size,
        })
    return sorted(rows, key=lambda r: -r["size"])


def _spread(values: list[float | None]) -> tuple[float | None, float | None]:
    """(max - min, min / max) over the non-missing values; None when fewer than two."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if len(vals) < 2:
        return None, None
    hi, lo = max(vals), min(vals)
    return hi - lo, (lo / hi if hi > 0 else 1.0)


def disparities(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Disparity metrics over the sufficient groups of one attribute."""
    ok = [r for r in rows if r["sufficient"]]
    dp_d, dp_r = _spread([r["selection_rate"] for r in ok])
    tpr_d, tpr_r = _spread([r["tpr"] for r in ok])
    fpr_d, fpr_r = _spread([r["fpr"] for r in ok])
    acc_d, _ = _spread([r["accuracy"] for r in ok])
    eo_d = None if tpr_d is None or fpr_d is None else max(tpr_d, fpr_d)
    eo_r = None if tpr_r is None or fpr_r is None else min(tpr_r, fpr_r)
    return {
        "demographic_parity_difference": dp_d,
        "demographic_parity_ratio": dp_r,
        "equalized_odds_difference": eo_d,
        "equalized_odds_ratio": eo_r,
        "accuracy_difference": acc_d,
    }


class FairnessCheck(Check[FairnessConfig]):
    """Group fairness of the test-split predictions."""

    name = "fairness"
    config_model = FairnessConfig
    metric_patterns = tuple(f"fairness.{{attr}}.{m}" for m in DISPARITY_METRICS) + (
        "fairness.{attr}.n_small_groups", "fairness.{attr}.demographic_parity_p_value",
        "fairness.{attr}.equalized_odds_p_value")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Audit every sensitive attribute (and their intersection)."""
        cfg = self.config
        sens = ctx.sensitive
        if sens is None or sens.shape[1] == 0:
            return CheckResult(name=self.name, status="skipped", error="no sensitive columns given (data.sensitive)")
        pred = ctx.predictions
        attrs: dict[str, pd.Series] = {c: sens[c] for c in sens.columns}
        if cfg.intersections and len(attrs) >= 2:
            cols = list(sens.columns)
            attrs[INTERSECTION_SEP.join(cols)] = sens[cols].astype(str).agg(" & ".join, axis=1)
        metrics: dict[str, float | None] = {}
        metric_ci: dict[str, list[float]] = {}
        findings: list[Finding] = []
        tables: dict[str, Any] = {}
        for attr, groups in attrs.items():
            rows = _group_table(pred.y_true, pred.y_pred, groups, pred.positive_index, cfg.min_group_size)
            disp = disparities(rows)
            ci = None
            if cfg.bootstrap:
                ci = bootstrap_intervals(pred.y_true == pred.positive_index, pred.y_pred == pred.positive_index,
                                         groups.astype(str).to_numpy(), {r["group"]: r["sufficient"] for r in rows},
                                         cfg.bootstrap, cfg.confidence, cfg.seed)
                for r in rows:
                    r["ci"] = ci["groups"].get(r["group"])
                for m, bounds in ci["disparities"].items():
                    if disp.get(m) is not None and bounds is not None:
                        metric_ci[f"fairness.{attr}.{m}"] = bounds
            small = [r for r in rows if not r["sufficient"]]
            for m, v in disp.items():
                metrics[f"fairness.{attr}.{m}"] = v
            keep = np.isin(groups.astype(str).to_numpy(), [r["group"] for r in rows if r["sufficient"]])
            pvals = disparity_p_values((pred.y_true == pred.positive_index)[keep],
                                       (pred.y_pred == pred.positive_index)[keep], groups.astype(str).to_numpy()[keep])
            for m, v in pvals.items():
                metrics[f"fairness.{attr}.{m}"] = v
            metrics[f"fairness.{attr}.n_small_groups"] = float(len(small))
            tables[attr] = {"groups": rows, "disparities": disp, "p_values": pvals,
                            "disparity_ci": {m: metric_ci.get(f"fairness.{attr}.{m}") for m in disp}}
            if small:
                listed = ", ".join(f"{r['group']} (n={r['size']})" for r in small[:8])
                findings.append(Finding(
                    "warn",
                    f"{attr}: {len(small)} group(s) below min_group_size={cfg.min_group_size} are reported but not "
                    f"compared (insufficient evidence): {listed}{' …' if len(small) > 8 else ''}",
                    source=self.name,
                ))
            if disp["demographic_parity_difference"] is None:
                findings.append(Finding(
                    "warn", f"{attr}: fewer than two groups with enough members; disparities cannot be measured",
                    source=self.name))
        for m, larger_is_worse in DISPARITY_METRICS.items():
            self._worst(m, larger_is_worse, list(attrs), metrics, metric_ci, findings)
        return CheckResult(
            name=self.name, metrics=metrics, findings=findings, metric_ci=metric_ci,
            details={"attributes": tables, "positive_label": pred.labels[pred.positive_index],
                     "min_group_size": cfg.min_group_size, "bootstrap": cfg.bootstrap, "confidence": cfg.confidence},
        )

    def _worst(self, m: str, larger_is_worse: bool, attrs: list[str], metrics: dict[str, float | None],
               metric_ci: dict[str, list[float]], findings: list[Finding]) -> None:
        """``fairness.worst.<m>``: the worst attribute's value and bounds; unmeasured if any attribute is (fail
        closed) unless ``worst_skips_unmeasured``."""
        cfg = self.config
        missing = [a for a in attrs if metrics.get(f"fairness.{a}.{m}") is None]
        measured = [a for a in attrs if a not in missing]
        pick = max if larger_is_worse else min
        key = f"fairness.{WORST}.{m}"
        if missing and not cfg.worst_skips_unmeasured or not measured:
            metrics[key] = None
            if missing and measured:
                findings.append(Finding("warn", MSG_WORST_UNMEASURED.format(metric=m, attrs=", ".join(missing)),
                                        source=self.name))
            return
        if missing:
            findings.append(Finding("warn", MSG_WORST_SKIPS.format(metric=m, attrs=", ".join(missing)),
                                    source=self.name))
        metrics[key] = pick(metrics[f"fairness.{a}.{m}"] for a in measured)  # type: ignore[type-var]
        bounds = [metric_ci[f"fairness.{a}.{m}"] for a in measured if f"fairness.{a}.{m}" in metric_ci]
        if len(bounds) == len(measured):  # worst of the bounds: conservative for the worst attribute
            metric_ci[key] = [pick(b[0] for b in bounds), pick(b[1] for b in bounds)]
