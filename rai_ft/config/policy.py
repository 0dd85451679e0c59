"""The policy (``policies/*.yaml``): which guards run, check settings, and the thresholds the gate applies."""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from rai_ft.config.loading import StrictModel, load_model_file
from rai_ft.errors import MSG_UNKNOWN_METRIC

__all__ = ["Threshold", "Policy", "load_policy", "known_metric_patterns", "metric_is_known", "producer_of"]


class Threshold(StrictModel):
    """One gate rule: ``metric`` must be ``>= min`` and/or ``<= max``."""

    metric: str = Field(..., min_length=1)
    min: float | None = None
    max: float | None = None
    severity: Literal["fail", "warn"] = "fail"
    use: Literal["value", "upper_ci", "lower_ci"] = Field(
        "value", description="Apply the bounds to the point estimate or to a bound of its confidence interval.")
    description: str = ""
    accept_other_settings: bool = Field(
        False, description="rai-ft gate: accept a value measured under other check settings than this policy's.")

    @model_validator(mode="after")
    def _has_a_bound(self) -> "Threshold":
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs min, max or both")
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError("threshold bounds must be finite numbers")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self

    @field_validator("metric")
    @classmethod
    def _metric_known(cls, v: str) -> str:
        if not metric_is_known(v):
            close = difflib.get_close_matches(v, known_metric_patterns(), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(MSG_UNKNOWN_METRIC.format(metric=v, hint=hint))
        return v


class Policy(StrictModel):
    """Guards to run, per-check settings, and thresholds for the gate."""

    name: str = Field(..., min_length=1)
    description: str = ""
    guards: dict[str, dict[str, Any]] = Field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    thresholds: list[Threshold] = Field(default_factory=list)
    require: list[str] = Field(default_factory=list, description="Guards a run must have used to pass the gate.")
    seed_aggregate: Literal["worst", "mean"] = Field(
        "worst", description="Runs with several training seeds: apply each threshold to the worst seed, or to the "
                             "mean over seeds.")

    @field_validator("require")
    @classmethod
    def _required_guards_known(cls, v: list[str]) -> list[str]:
        from rai_ft.guards import GUARDS

        for name in v:
            if name not in GUARDS:
                raise ValueError(f"unknown guard {name!r}; available: {', '.join(sorted(GUARDS))}")
        return v

    @field_validator("guards")
    @classmethod
    def _guards_known(cls, v: dict[str, dict[str, Any]], info: ValidationInfo) -> dict[str, dict[str, Any]]:
        from rai_ft.guards import GUARDS

        return _validate_section(v, GUARDS, "guard")

    @field_validator("checks")
    @classmethod
    def _checks_known(cls, v: dict[str, dict[str, Any]], info: ValidationInfo) -> dict[str, dict[str, Any]]:
        from rai_ft.checks import CHECKS

        return _validate_section(v, CHECKS, "check")

    def check_config(self, name: str) -> Any:
        """The validated config object of check *name* (its defaults when the policy says nothing)."""
        from rai_ft.checks import CHECKS

        return CHECKS[name].config_model.model_validate(self.checks.get(name, {}) or {})

    def guard_config(self, name: str) -> Any:
        """The validated config object of guard *name*."""
        from rai_ft.guards import GUARDS

        return GUARDS[name].config_model.model_validate(self.guards.get(name, {}) or {})


def _validate_section(section: dict[str, Any], registry: dict[str, Any], kind: str) -> dict[str, Any]:
    """Validate each entry of a guards/checks mapping with its registered config model."""
    for name, cfg in section.items():
        if name not in registry:
            raise ValueError(f"unknown {kind} {name!r}; available: {', '.join(sorted(registry)) or 'none'}")
        try:
            registry[name].config_model.model_validate(cfg or {})
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            raise ValueError(f"{name}.{loc}: {msg}" if loc else f"{name}: {msg}") from None
    return section


def known_metric_patterns() -> list[str]:
    """All metric name patterns registered checks and guards can produce (``{attr}`` = a sensitive attribute)."""
    from rai_ft.checks import CHECKS
    from rai_ft.guards import GUARDS

    return [m for reg in (CHECKS, GUARDS) for item in reg.values() for m in item.metric_patterns]


def _matches(pattern: str, metric: str) -> bool:
    pparts, parts = pattern.split("."), metric.split(".")
    return len(pparts) == len(parts) and all(pp == "{attr}" or pp == p for pp, p in zip(pparts, parts))


def metric_is_known(metric: str) -> bool:
    """True if *metric* matches a pattern of a registered check or guard."""
    return any(_matches(p, metric) for p in known_metric_patterns())


def producer_of(metric: str) -> str | None:
    """Name of the check or guard whose patterns produce *metric* (None if none does)."""
    from rai_ft.checks import CHECKS
    from rai_ft.guards import GUARDS

    for reg in (CHECKS, GUARDS):
        for name, item in reg.items():
            if any(_matches(p, metric) for p in item.metric_patterns):
                return name
    return None


def load_policy(path: str | Path) -> Policy:
    """Load and validate a policy file."""
    return load_model_file(path, Policy)
