"""Check ``documentation``: is the record complete enough for a reviewer (the model card's required facts)?

Items: a description / intended use, the data's source, title and licence, declared sensitive attributes, a
fixed training seed, and a test split large enough to report on. ``documentation.completeness`` is the share
present; the missing ones are listed as findings.
"""

from __future__ import annotations

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.results import CheckResult, Finding

__all__ = ["DocumentationCheck", "DocumentationConfig"]


class DocumentationConfig(CheckConfig):
    """No settings; the model exists so that unknown keys are rejected."""


class DocumentationCheck(Check[DocumentationConfig]):
    """Completeness of what the card and report can state."""

    name = "documentation"
    config_model = DocumentationConfig
    metric_patterns = ("documentation.completeness",)

    def run(self, ctx: AuditContext) -> CheckResult:
        """Score the presence of each item."""
        prov = (ctx.data.provenance if ctx.data is not None else None) or {}
        items = {
            "description (intended use) in the spec": bool((ctx.spec.description or "").strip()),
            "data source": bool(prov.get("source")),
            "data title": bool(prov.get("title")),
            "data licence": bool(prov.get("license")),
            "sensitive attributes declared (data.sensitive)": bool(ctx.spec.data.sensitive),
            "test split of at least 100 examples": len(ctx.texts) >= 100,
        }
        missing = [k for k, ok in items.items() if not ok]
        findings = [Finding("warn", f"documentation: missing {k}", source=self.name) for k in missing]
        return CheckResult(name=self.name, metrics={"documentation.completeness": sum(items.values()) / len(items)},
                           findings=findings, details={"items": items})
