"""Static checks run with the suite (so CI runs them): ruff on the package and the tests, mypy on the package.

Both are configured in pyproject.toml and installed by the ``dev`` extra (pinned in constraints.txt).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), cwd=ROOT, capture_output=True, text=True)


def test_ruff_is_clean() -> None:
    proc = _run(str(BIN / "ruff"), "check", "--no-cache", "rai_ft", "tests")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


def test_mypy_is_clean() -> None:
    proc = _run(str(BIN / "mypy"), "--no-incremental")  # files and settings: [tool.mypy] in pyproject.toml
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]
