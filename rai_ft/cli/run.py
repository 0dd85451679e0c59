"""``rai-ft run SPEC``: an audited fine-tune."""

from __future__ import annotations

import argparse

from rai_ft.cli._common import add_output_args, exit_for, print_outcome
from rai_ft.errors import SpecError

__all__ = ["add_parser", "handle"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "run", help="fine-tune a model under the spec's policy and write an audit report",
        description="Fine-tune as SPEC says (guards from its policy), audit the result on the test split, apply "
                    "the policy's gate and write <output>/<name>-<time>/ with audit.json, report.html, "
                    "model_card.md and model/. Exit 0 pass/warn, 1 gate failed, 2 bad spec, 3 runtime error.")
    p.add_argument("spec", metavar="SPEC", help="run spec YAML, e.g. audits/demo.yaml")
    p.add_argument("--seeds", type=int, metavar="N", default=None,
                   help="train and audit N models with seeds train.seed, train.seed+1, ... in one run directory; the "
                        "gate applies to the worst seed (policy seed_aggregate: mean for the mean)")
    add_output_args(p)


def handle(args: argparse.Namespace) -> int:
    """Run the spine and print where the report is."""
    from rai_ft.pipeline import run

    if args.seeds is not None and not 1 <= args.seeds <= 20:
        raise SpecError("must be between 1 and 20", field="--seeds")
    run_dir, doc = run(args.spec, args.output, quiet=args.quiet, policy_override=args.policy, n_seeds=args.seeds)
    if doc is None:  # a non-zero rank of a multi-process launch: it trained; rank 0 reports
        return 0
    print_outcome(run_dir, doc)
    return exit_for(doc["gate"]["status"])
