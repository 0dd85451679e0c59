"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["ROOT", "write_result", "write_json", "fmt", "rai_ft_run"]


def write_result(name: str, lines: list[str], quick: bool) -> str:
    """Print a markdown result and write it to bench/results/<name>[-quick].md; returns the text."""
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / f"{name}{'-quick' if quick else ''}.md").write_text(text)
    return text


def write_json(name: str, data: dict, quick: bool) -> Path:
    """Write *data* to bench/results/<name>[-quick].json; returns the path."""
    path = ROOT / "bench" / "results" / f"{name}{'-quick' if quick else ''}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for the tables; `n/a` where there is none (e.g. no successful attack)."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def rai_ft_run(spec: Path, out: Path) -> tuple[Path, dict]:
    """`rai-ft run SPEC --output <out>/reports`; returns (run dir, audit.json with the wall time under `_wall`)."""
    start = time.perf_counter()
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "rai-ft"), "run", str(spec), "--output", str(out / "reports"),
                           "--quiet"], capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{spec.name}: exit {proc.returncode}\n{proc.stderr}")
    run_dir = sorted((out / "reports").glob(f"{spec.stem}-2*"))[-1]
    doc = json.loads((run_dir / "audit.json").read_text())
    doc["_wall"] = time.perf_counter() - start
    return run_dir, doc
