"""Did a fairness mitigation help? The targeted disparity on test after vs before, and what it cost in accuracy.

Group thresholds fitted on a small validation split can overshoot on test: the very disparity they target gets worse
while accuracy drops. ``fairness.mitigation_gap_change`` = after - before of the targeted disparity on the test split
(negative = better); ``fairness.mitigation_accuracy_change`` = after - before accuracy. Both are None when there is
no "before" (reweighing without ``baseline: true``), so a threshold on them fails closed.
"""

from __future__ import annotations

from typing import Any

from rai_ft.results import Finding

__all__ = ["TARGETED", "mitigation_effect", "MSG_BACKFIRED", "MSG_TOO_COSTLY", "EFFECT_METRICS"]

# constraint -> the disparity of the fairness check it targets (TPR/FPR parity: the nearest measured one)
TARGETED = {"demographic_parity": "demographic_parity_difference", "equalized_odds": "equalized_odds_difference",
            "true_positive_rate_parity": "equalized_odds_difference",
            "false_positive_rate_parity": "equalized_odds_difference"}
EFFECT_METRICS = ("fairness.mitigation_gap_change", "fairness.mitigation_accuracy_change")
MSG_BACKFIRED = ("fairness mitigation did not reduce what it targets: {metric} on test went {before:.4g} -> "
                 "{after:.4g} ({change:+.4g}); the thresholds may overfit a small validation split")
MSG_TOO_COSTLY = ("fairness mitigation cost {cost:.1%} accuracy on test (more than max_accuracy_cost "
                  "{limit:.1%}) for a {metric} change of {change:+.4g}")


def mitigation_effect(before: dict[str, Any], after: dict[str, Any], column: str, constraint: str,
                      max_accuracy_cost: float) -> tuple[dict[str, float | None], list[Finding]]:
    """The two effect metrics and a warn finding when the mitigation backfired or cost too much accuracy."""
    key = f"fairness.{column}.{TARGETED[constraint]}"
    b, a = before.get(key), after.get(key)
    gap = None if a is None or b is None else float(a) - float(b)
    ab, aa = before.get("performance.accuracy"), after.get("performance.accuracy")
    acc = None if ab is None or aa is None else float(aa) - float(ab)
    findings = []
    if gap is not None and gap >= 0:
        findings.append(Finding("warn", MSG_BACKFIRED.format(metric=key, before=b, after=a, change=gap),
                                source="fairness_mitigation"))
    if acc is not None and gap is not None and -acc > max_accuracy_cost:
        findings.append(Finding("warn", MSG_TOO_COSTLY.format(cost=-acc, limit=max_accuracy_cost, metric=key,
                                                              change=gap), source="fairness_mitigation"))
    return {EFFECT_METRICS[0]: gap, EFFECT_METRICS[1]: acc}, findings
