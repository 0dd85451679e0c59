"""The registries of every extension axis, and everything that reads them.

Adding a check, a guard or a task = one module + one line below. This module sits above ``config`` (pure schema),
``checks``, ``guards`` and ``tasks``: none of those imports it, so there is no import circle and no lazy import
hiding one. :mod:`rai_ft.validation` checks a policy and a spec against them.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from rai_ft.checks.attribution import AttributionCheck
from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.checks.counterfactual import CounterfactualCheck
from rai_ft.checks.data import DataCheck
from rai_ft.checks.documentation import DocumentationCheck
from rai_ft.checks.entity_attribution import EntityAttributionCheck
from rai_ft.checks.entity_performance import EntityPerformanceCheck
from rai_ft.checks.entity_robustness import EntityRobustnessCheck
from rai_ft.checks.fairness import FairnessCheck
from rai_ft.checks.image_attribution import ImageAttributionCheck
from rai_ft.checks.image_robustness import ImageRobustnessCheck
from rai_ft.checks.name_swap import NameSwapCheck
from rai_ft.checks.performance import PerformanceCheck
from rai_ft.checks.privacy import PrivacyCheck
from rai_ft.checks.robustness import RobustnessCheck
from rai_ft.config.policy import Policy
from rai_ft.guards.adversarial import AdversarialGuard
from rai_ft.guards.augment import AugmentGuard
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.guards.deidentify import DeidentifyGuard
from rai_ft.guards.dp import DPGuard
from rai_ft.guards.fairness_mitigation import FairnessMitigationGuard
from rai_ft.guards.image_adversarial import ImageAdversarialGuard
from rai_ft.results import CheckResult
from rai_ft.tasks.base import Task
from rai_ft.tasks.image_classification.task import ImageClassification
from rai_ft.tasks.text_classification import TextClassification
from rai_ft.tasks.token_classification.task import TokenClassification

__all__ = ["CHECKS", "DEFAULT_CHECKS", "GUARDS", "TASKS", "task_of", "base_of", "check_config", "guard_config",
           "build_guards", "run_checks", "measured_settings", "known_metric_patterns", "metric_is_known",
           "producer_of", "checks_to_run"]

# name -> Check class. Registered explicitly, one line each.
CHECKS: dict[str, type[Check[Any]]] = {
    PerformanceCheck.name: PerformanceCheck,
    FairnessCheck.name: FairnessCheck,
    PrivacyCheck.name: PrivacyCheck,
    AttributionCheck.name: AttributionCheck,
    RobustnessCheck.name: RobustnessCheck,
    CounterfactualCheck.name: CounterfactualCheck,
    DocumentationCheck.name: DocumentationCheck,
    DataCheck.name: DataCheck,
    EntityPerformanceCheck.name: EntityPerformanceCheck,
    NameSwapCheck.name: NameSwapCheck,
    EntityRobustnessCheck.name: EntityRobustnessCheck,
    EntityAttributionCheck.name: EntityAttributionCheck,
    ImageRobustnessCheck.name: ImageRobustnessCheck,
    ImageAttributionCheck.name: ImageAttributionCheck,
}

# Checks that run on every audit of a text classifier, whatever the policy says (each task has its own list).
DEFAULT_CHECKS: tuple[str, ...] = TextClassification.default_checks

# name -> Guard class. Registered explicitly, one line each.
GUARDS: dict[str, type[Guard[Any]]] = {
    DPGuard.name: DPGuard,
    DeidentifyGuard.name: DeidentifyGuard,
    AdversarialGuard.name: AdversarialGuard,
    AugmentGuard.name: AugmentGuard,
    FairnessMitigationGuard.name: FairnessMitigationGuard,
    ImageAdversarialGuard.name: ImageAdversarialGuard,
}

# name -> Task class. Registered explicitly, one line each.
TASKS: dict[str, type[Task]] = {
    TextClassification.name: TextClassification,
    TokenClassification.name: TokenClassification,
    ImageClassification.name: ImageClassification,
}


# ---------------------------------------------------------------------------------------------- lookups

def task_of(spec: Any) -> Task:
    """The task of *spec* (validated: :func:`rai_ft.validation.validate_spec` refused unknown ones)."""
    return TASKS[spec.task]()


def base_of(spec: Any) -> str:
    """The spec's ``model.base``, or its task's offline default when the spec omits it."""
    return str(spec.model.base or TASKS[spec.task].default_base)


def check_config(policy: Policy, name: str) -> CheckConfig:
    """The validated config of check *name* in *policy* (its defaults when the policy says nothing)."""
    return CHECKS[name].config_model.model_validate(policy.checks.get(name, {}) or {})


def guard_config(policy: Policy, name: str) -> GuardConfig:
    """The validated config of guard *name* in *policy*."""
    return GUARDS[name].config_model.model_validate(policy.guards.get(name, {}) or {})


def build_guards(policy: Policy, keep: Any = None) -> list[Guard[Any]]:
    """Instantiate the guards *policy* asks for, in policy order (only those whose class *keep* accepts)."""
    return [GUARDS[name](guard_config(policy, name)) for name in policy.guards
            if keep is None or keep(GUARDS[name])]


def measured_settings(name: str, config: CheckConfig) -> dict[str, Any]:
    """The settings of check *name* that its metrics depend on (presentation-only settings left out)."""
    skip = set(CHECKS[name].presentation_settings)
    return {k: v for k, v in config.model_dump(mode="json").items() if k not in skip}


def known_metric_patterns() -> list[str]:
    """Every metric name pattern a registered check or guard can produce (``{attr}`` = a sensitive attribute)."""
    return [m for reg in (CHECKS, GUARDS) for item in reg.values() for m in item.metric_patterns]


def _matches(pattern: str, metric: str) -> bool:
    pparts, parts = pattern.split("."), metric.split(".")
    return len(pparts) == len(parts) and all(pp == "{attr}" or pp == p for pp, p in zip(pparts, parts))


def metric_is_known(metric: str) -> bool:
    """True if *metric* matches a pattern of a registered check or guard."""
    return any(_matches(p, metric) for p in known_metric_patterns())


def producer_of(metric: str) -> str | None:
    """Name of the check or guard whose patterns produce *metric* (None if none does)."""
    for reg in (CHECKS, GUARDS):
        for name, item in reg.items():
            if any(_matches(p, metric) for p in item.metric_patterns):
                return name
    return None


# ---------------------------------------------------------------------------------------------- running checks

def checks_to_run(policy: Policy, task: str = "text-classification") -> list[str]:
    """The default checks, those the policy configures, those its guards imply, and those whose metrics it
    thresholds; in that order, each once; only those that apply to *task*."""
    implied = [c for g in policy.guards for c in GUARDS[g].implies_checks]
    wanted = (list(TASKS[task].default_checks) + list(policy.checks) + implied
              + [producer_of(t.metric) for t in policy.thresholds])
    applies = TASKS[task].checks
    return [n for n in dict.fromkeys(wanted) if n in CHECKS and n in applies]


def run_checks(ctx: AuditContext, names: list[str] | None = None) -> list[CheckResult]:
    """Run the named checks (default: :func:`checks_to_run` of the context's policy).

    A check that raises is recorded with ``status="error"`` and its traceback's last line, so the
    gate fails closed on its metrics instead of the whole run crashing.
    """
    results = []
    for name in names if names is not None else checks_to_run(ctx.policy, ctx.spec.task):
        start = time.perf_counter()
        config = check_config(ctx.policy, name)
        try:
            result = CHECKS[name](config).run(ctx)
        except Exception as exc:  # noqa: BLE001 - a crashed check must not hide the others
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            result = CheckResult(name=name, status="error", error=last)
        result.seconds = round(time.perf_counter() - start, 3)
        result.settings = measured_settings(name, config)
        results.append(result)
    return results
