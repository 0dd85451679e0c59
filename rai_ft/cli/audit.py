"""``rai-ft audit SPEC --model DIR``: audit an existing model without training."""

from __future__ import annotations

import argparse

from rai_ft.cli._common import add_output_args, exit_for, print_outcome

__all__ = ["add_parser", "handle"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "audit", help="audit an existing model on a spec's data under a policy (no training)",
        description="Evaluate MODEL (a rai-ft run's model/ folder, a local Hugging Face classifier, or a hub id) "
                    "on the test split of SPEC's data, run the checks and the gate, and write a report. The spec's "
                    "model and train sections are ignored except train.max_length and train.eval_batch_size.")
    p.add_argument("spec", metavar="SPEC", help="spec YAML giving data and policy")
    p.add_argument("--model", "-m", required=True, metavar="DIR", help="model directory (e.g. reports/<run>/model)")
    add_output_args(p)


def handle(args: argparse.Namespace) -> int:
    """Audit and print where the report is."""
    from rai_ft.pipeline import audit

    run_dir, doc = audit(args.spec, args.model, args.output, quiet=args.quiet, policy_override=args.policy)
    if doc is None:  # a non-zero rank of a multi-process launch: rank 0 audits
        return 0
    print_outcome(run_dir, doc)
    return exit_for(doc["gate"]["status"])
