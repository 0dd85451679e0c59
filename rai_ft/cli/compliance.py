"""``rai-ft compliance RUN_DIR --framework F``: map a run's evidence onto a framework's requirements.

Writes ``RUN_DIR/compliance.json`` and ``RUN_DIR/compliance.html`` from audit.json alone (and the reviewer's
answers file, when given). It maps evidence; it is not legal advice.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rai_ft.errors import EXIT_PASS, SpecError

__all__ = ["add_parser", "handle", "MSG_NO_FRAMEWORK"]

MSG_NO_FRAMEWORK = ("name a framework (--framework {available}), or list them in the policy's compliance: "
                    "so every run renders them")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    from rai_ft.compliance.framework import FRAMEWORKS

    p = sub.add_parser("compliance", help="map a run's evidence onto EU AI Act / NIST AI RMF / ISO 42001 requirements",
                       description="Writes RUN_DIR/compliance.json and compliance.html from audit.json alone. "
                                   "It maps evidence; it is not legal advice.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (holding audit.json)")
    p.add_argument("--framework", action="append", choices=tuple(FRAMEWORKS),
                   help="repeat for several (default: the policy's compliance: list)")
    p.add_argument("--answers", metavar="FILE", help="a reviewer's answers (YAML) to merge; see README")


def handle(args: argparse.Namespace) -> int:
    """Evaluate, write both files, print one line per framework."""
    from rai_ft.compliance.framework import FRAMEWORKS, load_answers, load_framework
    from rai_ft.compliance.write import write_compliance
    from rai_ft.preflight import check_output
    from rai_ft.record import AUDIT_FILE, read_audit

    run_dir = Path(args.run_dir)
    doc = read_audit(run_dir / AUDIT_FILE if run_dir.is_dir() else run_dir)
    names = args.framework or ((doc.get("policy") or {}).get("resolved") or {}).get("compliance") or []
    if not names:
        raise SpecError(MSG_NO_FRAMEWORK.format(available=" | ".join(FRAMEWORKS)), field="--framework")
    frameworks = [load_framework(n) for n in dict.fromkeys(names)]
    answers = load_answers(args.answers) if args.answers else None
    check_output(str(run_dir), "RUN_DIR")
    json_path, html_path, comp = write_compliance(run_dir, doc, frameworks, answers)
    for fw in comp["frameworks"]:
        counts = ", ".join(f"{n} {s}" for s, n in fw["summary"].items() if n)
        print(f"{fw['framework']['id']}: {counts}")
    print(f"compliance: {json_path}")
    print(f"report:     {html_path}")
    print("This maps evidence; it is not legal advice.")
    return EXIT_PASS
