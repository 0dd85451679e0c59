"""The before/after record of a fairness mitigation (audit.json ``mitigation``): the metrics the mitigation targets,
measured on the test split without it and with it, and its effect on the disparity it targets.

The guard says what to compare through :meth:`~rai_ft.guards.base.Guard.mitigation` (a
:class:`~rai_ft.guards.base.MitigationPlan`); this module knows no guard by name.
"""

from __future__ import annotations

from typing import Any

from rai_ft.checks import AuditContext, Predictions
from rai_ft.data.loading import LABEL, TEXT, DataBundle
from rai_ft.fairness.effect import TARGETED, mitigation_effect
from rai_ft.guards.base import MitigationPlan
from rai_ft.modeling.predictor import Predictor
from rai_ft.registry import run_checks
from rai_ft.results import CheckResult
from rai_ft.validation import Prepared

__all__ = ["audit_context", "mitigation_record"]


def audit_context(prep: Prepared, data: DataBundle, preds: Predictions, predictor: Predictor | None, *,
                  members_known: bool = True, baseline: Predictor | None = None, baseline_label: str | None = None,
                  quiet: bool = False) -> AuditContext:
    """What every check reads: the shared test predictions, the predictor that made them, and the data."""
    return AuditContext(spec=prep.spec, policy=prep.policy, predictions=preds, texts=data.test[TEXT].tolist(),
                        sensitive=data.test[data.sensitive], predictor=predictor,
                        train_texts=data.train[TEXT].tolist(), train_labels=data.train[LABEL].tolist(), data=data,
                        baseline=baseline, baseline_label=baseline_label, members_known=members_known, quiet=quiet)


def mitigation_record(prep: Prepared, data: DataBundle, before: Predictions | None, after_results: list[CheckResult],
                      plan: MitigationPlan, source: str | None) -> dict[str, Any]:
    """Metrics of *plan*'s checks before (*before* = the unmitigated predictions) vs after, and the effect."""
    after = {k: v for r in after_results if r.name in plan.checks for k, v in r.metrics.items()}
    before_metrics: dict[str, Any] = {}
    if before is not None:
        for r in run_checks(audit_context(prep, data, before, None, quiet=True), list(plan.checks)):
            before_metrics.update(r.metrics)
    effect, findings = mitigation_effect(before_metrics, after, plan.column, plan.constraint, plan.max_accuracy_cost)
    return {"method": plan.method, "config": plan.config, "before": before_metrics, "after": after,
            "before_source": "the same model without the mitigation" if plan.before == "undecided"
            else (source or "no baseline trained (set baseline: true)"),
            "targeted": f"fairness.{plan.column}.{TARGETED[plan.constraint]}", "effect": effect,
            "effect_findings": [f.to_dict() for f in findings]}
