"""Small value types shared by guards, checks, the gate and the audit record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Finding", "CheckResult", "Severity"]

Severity = Literal["info", "warn", "fail"]


@dataclass
class Finding:
    """Something a reviewer should read: a guard's or check's observation, with a severity."""

    severity: Severity
    message: str
    source: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class CheckResult:
    """What one check produced: flat metrics for the gate, findings, and detail tables for the report.

    ``status`` is ``ok``, ``error`` (the check crashed: the gate fails any threshold on its metrics)
    or ``skipped`` (with the reason in ``error``).
    """

    name: str
    status: Literal["ok", "error", "skipped"] = "ok"
    metrics: dict[str, float | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    metric_ci: dict[str, list[float]] = field(default_factory=dict)  # metric -> [lower, upper] confidence bounds
    settings: dict[str, Any] = field(default_factory=dict)  # the check's resolved config: how its metrics were measured

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["findings"] = [f.to_dict() for f in self.findings]
        return out
