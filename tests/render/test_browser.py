"""report.html in real headless Chromium: renders, no console errors, no network, prints, screenshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rai_ft.cli import main
from tests.browser import open_report
from tests.conftest import run_dirs

SHOTS = Path(os.environ.get("RAI_FT_SCREENSHOTS", "reports/test-screenshots"))


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def test_report_renders_without_errors_or_network(tmp_path, tiny_spec, shots, capsys) -> None:
    assert main(["run", str(tiny_spec), "--output", str(tmp_path / "r"), "--quiet"]) == 0
    html = run_dirs(tmp_path / "r")[0] / "report.html"
    seen = open_report(html, shots, """() => ({
        title: document.title,
        h1: document.querySelector('h1').textContent,
        verdictVisible: document.querySelector('.verdict').getBoundingClientRect().height > 0,
        svgs: document.querySelectorAll('svg').length,
        tablesWithHeaders: [...document.querySelectorAll('table')].every(t => t.querySelector('th')),
        headings: [...document.querySelectorAll('h2')].map(h => h.textContent),
    })""")
    assert seen.console_errors == []
    assert seen.requests == [html.resolve().as_uri()]  # the page itself and nothing else
    assert seen.data["verdictVisible"] and seen.data["svgs"] >= 3 and seen.data["tablesWithHeaders"]
    assert seen.data["headings"][0] == "Verdict"
    assert seen.screenshot.stat().st_size > 10_000
    assert seen.pdf.read_bytes().startswith(b"%PDF")
