"""Attack results -> the numbers a report and a gate read (TextAttack's definitions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rai_ft.robustness.attack import AttackResult

__all__ = ["summarize", "instructive"]


def summarize(results: list[AttackResult]) -> dict[str, Any]:
    """Clean accuracy, accuracy under attack, attack success rate, perturbed-word %, queries, counts.

    ``attack_success_rate`` = succeeded / (succeeded + failed) (skipped = already misclassified, excluded);
    ``accuracy_under_attack`` = failed / attacked; ``avg_perturbed_words_pct`` over successful attacks.
    """
    n = len(results)
    succ = [r for r in results if r.status == "succeeded"]
    fail = [r for r in results if r.status == "failed"]
    skip = n - len(succ) - len(fail)
    tried = len(succ) + len(fail)
    return {
        "attacked": n,
        "succeeded": len(succ),
        "failed": len(fail),
        "skipped": skip,
        "clean_accuracy": tried / n if n else None,
        "accuracy_under_attack": len(fail) / n if n else None,
        "attack_success_rate": len(succ) / tried if tried else None,
        "avg_perturbed_words_pct": float(np.mean([100 * r.perturbed_fraction for r in succ])) if succ else None,
        "avg_queries": float(np.mean([r.queries for r in succ + fail])) if tried else None,
    }


def instructive(results: list[AttackResult], k: int) -> list[AttackResult]:
    """The *k* successful attacks that teach most: fewest words changed, then the largest confidence drop."""
    succ = [r for r in results if r.status == "succeeded"]
    return sorted(succ, key=lambda r: (len(r.changed), -(r.p_true_before - r.p_true_after)))[:k]
