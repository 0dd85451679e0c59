"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rai_ft.errors import EXIT_GATE_FAILED, EXIT_PASS

__all__ = ["exit_for", "print_outcome", "add_output_args"]


def exit_for(status: str, fail_on: str = "fail") -> int:
    """Exit code for a gate status: 1 for fail (or warn with ``--fail-on warn``), else 0."""
    if status == "fail" or (fail_on == "warn" and status == "warn"):
        return EXIT_GATE_FAILED
    return EXIT_PASS


def print_outcome(run_dir: Path, doc: dict[str, Any]) -> None:
    """The lines a user reads when a run or audit ends."""
    gate = doc["gate"]
    print(f"gate: {gate['status'].upper()} under policy {gate['policy']!r}")
    for r in gate["results"]:
        if r["status"] != "pass":
            print(f"  {r['status'].upper():4} {r['metric']}: {r['reason']}")
    print(f"audit:  {run_dir / 'audit.json'}")
    print(f"card:   {run_dir / 'model_card.md'}")
    print(f"report: {run_dir / 'report.html'}")


def add_output_args(p: argparse.ArgumentParser) -> None:
    """--output, --policy, --quiet."""
    p.add_argument("--output", "-o", default="reports", metavar="DIR",
                   help="folder that receives the run directory (default: reports)")
    p.add_argument("--policy", metavar="POLICY", help="use this policy instead of the one the spec names")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars or log lines")
