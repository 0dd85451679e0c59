"""``rai-ft report RUN_DIR``: re-render report.html and model_card.md from audit.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from rai_ft.errors import EXIT_PASS

__all__ = ["add_parser", "handle"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser("report", help="re-render report.html and model_card.md from a run's audit.json",
                       description="Rendering computes nothing: both files are drawn from audit.json alone.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (holding audit.json)")


def handle(args: argparse.Namespace) -> int:
    """Render and print the paths."""
    from rai_ft.preflight import check_output
    from rai_ft.render import render_run_dir

    if Path(args.run_dir).is_dir():
        check_output(args.run_dir, "RUN_DIR")  # it is rewritten in place: writable, before anything is rendered
    html, card = render_run_dir(Path(args.run_dir))
    print(f"report: {html}")
    print(f"card:   {card}")
    return EXIT_PASS
