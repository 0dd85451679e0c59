"""The policy (``policies/*.yaml``): which guards run, check settings, and the thresholds the gate applies.

Pure schema: which guards, checks and metrics exist is known to :mod:`rai_ft.registry`, and
:func:`rai_ft.validation.load_policy` checks a policy against it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from rai_ft.config.loading import StrictModel, load_model_file

__all__ = ["Threshold", "Policy", "read_policy"]


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
    compliance: list[str] = Field(default_factory=list, description="Frameworks every run maps its evidence onto "
                                  "(compliance.json / .html): eu-ai-act, nist-ai-rmf, iso-42001.")


def read_policy(path: str | Path) -> Policy:
    """Read a policy file and check its schema (:func:`rai_ft.validation.load_policy` also checks it against the
    registries: which guards, checks and metrics exist)."""
    return load_model_file(path, Policy)
