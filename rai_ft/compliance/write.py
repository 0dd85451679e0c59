"""Write ``compliance.json`` and ``compliance.html`` into a run directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rai_ft.compliance.evaluate import compliance_document
from rai_ft.compliance.framework import Answers, Framework
from rai_ft.record import write_text_atomic
from rai_ft.render.compliance import render_compliance

__all__ = ["write_compliance", "COMPLIANCE_JSON", "COMPLIANCE_HTML"]

COMPLIANCE_JSON = "compliance.json"
COMPLIANCE_HTML = "compliance.html"


def write_compliance(run_dir: Path, doc: dict[str, Any], frameworks: list[Framework],
                     answers: Answers | None = None) -> tuple[Path, Path, dict[str, Any]]:
    """Evaluate *frameworks* on *doc* (the run's audit.json) and write both files; returns their paths and the
    document."""
    comp = compliance_document(doc, frameworks, answers)
    json_path, html_path = run_dir / COMPLIANCE_JSON, run_dir / COMPLIANCE_HTML
    write_text_atomic(json_path, json.dumps(comp, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    write_text_atomic(html_path, render_compliance(comp))
    return json_path, html_path, comp
