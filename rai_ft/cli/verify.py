"""``rai-ft verify RUN_DIR``: recompute every hash a run's audit.json sealed and name each difference.

Exit 0 when intact; 1 with one line per difference (which file, which field); 2 on bad input (no audit.json, a run
sealed by no rai-ft, an unreadable public key).
"""

from __future__ import annotations

import argparse

from rai_ft.errors import EXIT_GATE_FAILED, EXIT_PASS

__all__ = ["add_parser", "handle"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser("verify", help="check that a run's model, record and reports are as the audit sealed them",
                       description="Recomputes the sha256 of every file of the run, of audit.json's content and "
                                   "fields, re-renders report.html and model_card.md, and checks the signature. "
                                   "Exit 0 intact, 1 changed (one line per difference), 2 bad input.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (holding audit.json)")
    p.add_argument("--data", action="store_true",
                   help="also read the spec, the policy and the data files again and compare their hashes")
    p.add_argument("--expect", metavar="HASH",
                   help="the content sha256 printed on the report or card (a prefix of 12+ characters will do)")
    p.add_argument("--public-key", metavar="FILE",
                   help="trust only a signature by this Ed25519 public key (PEM, or raw base64); required signature")


def handle(args: argparse.Namespace) -> int:
    """Verify and print the differences (or one line saying what was checked)."""
    from rai_ft.verify import summary, verify_run

    differences = verify_run(args.run_dir, data=args.data, expect=args.expect, public_key=args.public_key)
    for line in differences:
        print(f"CHANGED {line}")
    if differences:
        print(f"verify: {len(differences)} difference(s); this run is not as its audit sealed it")
        return EXIT_GATE_FAILED
    s = summary(args.run_dir)
    signed = f", signature by key {s['signed_by']} valid" if s["signed_by"] else ", unsigned"
    data = ", data files re-read" if args.data else ""
    print(f"verify: intact (content sha256 {s['content_sha256']}; {s['files']} file(s){data}{signed})")
    return EXIT_PASS
