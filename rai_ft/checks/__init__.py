"""Check registry. Adding a check = one module + one line in ``CHECKS``."""

from __future__ import annotations

import time
import traceback

from rai_ft.checks.attribution import AttributionCheck
from rai_ft.checks.base import AuditContext, Check, CheckConfig, Predictions
from rai_ft.checks.counterfactual import CounterfactualCheck
from rai_ft.checks.data import DataCheck
from rai_ft.checks.documentation import DocumentationCheck
from rai_ft.checks.fairness import FairnessCheck
from rai_ft.checks.performance import PerformanceCheck
from rai_ft.checks.privacy import PrivacyCheck
from rai_ft.checks.robustness import RobustnessCheck
from rai_ft.results import CheckResult

__all__ = ["Check", "CheckConfig", "AuditContext", "Predictions", "CHECKS", "DEFAULT_CHECKS", "run_checks",
           "measured_settings"]

# name -> Check class. Registered explicitly, one line each.
CHECKS: dict[str, type[Check]] = {
    PerformanceCheck.name: PerformanceCheck,
    FairnessCheck.name: FairnessCheck,
    PrivacyCheck.name: PrivacyCheck,
    AttributionCheck.name: AttributionCheck,
    RobustnessCheck.name: RobustnessCheck,
    CounterfactualCheck.name: CounterfactualCheck,
    DocumentationCheck.name: DocumentationCheck,
    DataCheck.name: DataCheck,
}

# Checks that run on every audit, whatever the policy says.
DEFAULT_CHECKS: tuple[str, ...] = ("performance", "fairness", "privacy", "data")


def measured_settings(name: str, config: CheckConfig) -> dict:
    """The settings of check *name* that its metrics depend on (presentation-only settings left out)."""
    skip = set(CHECKS[name].presentation_settings)
    return {k: v for k, v in config.model_dump(mode="json").items() if k not in skip}


def run_checks(ctx: AuditContext, names: list[str] | None = None) -> list[CheckResult]:
    """Run the named checks (default: the default checks, those the policy configures, and those whose metrics
    the policy thresholds).

    A check that raises is recorded with ``status="error"`` and its traceback's last line, so the
    gate fails closed on its metrics instead of the whole run crashing.
    """
    if names is None:
        from rai_ft.config.policy import producer_of

        from rai_ft.guards import GUARDS

        implied = [c for g in ctx.policy.guards for c in GUARDS[g].implies_checks]
        wanted = (list(DEFAULT_CHECKS) + list(ctx.policy.checks) + implied
                  + [producer_of(t.metric) for t in ctx.policy.thresholds])
        names = [n for n in dict.fromkeys(wanted) if n in CHECKS]
    results = []
    for name in names:
        cls = CHECKS[name]
        start = time.perf_counter()
        config = ctx.policy.check_config(name)
        try:
            result = cls(config).run(ctx)
        except Exception as exc:  # noqa: BLE001 - a crashed check must not hide the others
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            result = CheckResult(name=name, status="error", error=last)
        result.seconds = round(time.perf_counter() - start, 3)
        result.settings = measured_settings(name, config)
        results.append(result)
    return results
