"""Open a report in real headless Chromium (Debian's, driven by Playwright; nothing is downloaded).

Skips when Chromium is missing on a developer machine; under CI (CI=true) a missing browser fails instead,
so that a green CI run cannot hide the browser tests.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["BrowserResult", "open_report", "CHROMIUM"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@dataclass
class BrowserResult:
    """What the browser saw."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    pdf: Path | None = None
    data: dict = field(default_factory=dict)


def open_report(html: Path, out_dir: Path, script: str = "() => ({})") -> BrowserResult:
    """Load *html*, collect console errors and requests, screenshot it, print it to PDF, and run *script*."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (scripts/setup.sh installs it)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    result = BrowserResult()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: result.console_errors.append(str(e)))
            page.on("request", lambda r: result.requests.append(r.url))
            page.goto(html.resolve().as_uri(), wait_until="load")
            result.screenshot = out_dir / f"{html.parent.name}-report.png"
            page.screenshot(path=str(result.screenshot), full_page=True)
            result.data = page.evaluate(script)
            page.emulate_media(media="print")
            result.pdf = out_dir / f"{html.parent.name}-report.pdf"
            page.pdf(path=str(result.pdf))
        finally:
            browser.close()
    return result
