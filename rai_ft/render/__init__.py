"""Rendering: report.html and model_card.md, both drawn from audit.json alone (they compute nothing)."""

from __future__ import annotations

from pathlib import Path

from rai_ft.record import AUDIT_FILE, read_audit, write_text_atomic
from rai_ft.render.card import render_card
from rai_ft.render.html import render_html

__all__ = ["render_html", "render_card", "render_run_dir", "REPORT_FILE", "CARD_FILE"]

REPORT_FILE = "report.html"
CARD_FILE = "model_card.md"


def render_run_dir(run_dir: Path) -> tuple[Path, Path]:
    """(Re-)render report.html and model_card.md of *run_dir* from its audit.json."""
    audit = read_audit(run_dir / AUDIT_FILE)
    html_path, card_path = run_dir / REPORT_FILE, run_dir / CARD_FILE
    write_text_atomic(html_path, render_html(audit))
    write_text_atomic(card_path, render_card(audit))
    return html_path, card_path
