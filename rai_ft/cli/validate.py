"""``rai-ft validate FILE``: check a spec or a policy without running anything heavy."""

from __future__ import annotations

import argparse

from rai_ft.errors import EXIT_PASS

__all__ = ["add_parser", "handle", "detect_kind"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "validate", help="validate a spec (with its policy and data columns) or a policy",
        description="Exit 0 if FILE is a valid spec or policy, 2 with a one-line reason naming the file and field "
                    "if not. A spec's policy is validated too, its model is looked at (config.json, weights, "
                    "position limit; "
                    "nothing is loaded) and its data is loaded to check columns, labels and split sizes: the checks "
                    "rai-ft run makes before training.")
    p.add_argument("file", metavar="FILE", help="spec or policy YAML")
    p.add_argument("--kind", choices=("auto", "spec", "policy"), default="auto", help="what FILE is (default: auto)")
    p.add_argument("--no-data", action="store_true", help="do not load the spec's data to check columns")
    p.add_argument("--output", "-o", metavar="DIR", default=None,
                   help="also check that DIR (what rai-ft run --output would get) is a writable folder whose "
                        "privacy ledger parses")
    p.add_argument("--model", "-m", metavar="DIR", default=None,
                   help="check this model folder as rai-ft audit --model would (instead of the spec's model.base)")


def detect_kind(data: dict) -> str:
    """'policy' if the mapping looks like a policy, else 'spec'."""
    keys = set(data)
    if {"thresholds", "guards", "checks"} & keys:
        return "policy"
    return "spec" if {"data", "model", "train", "policy", "tracking"} & keys else "policy"


def handle(args: argparse.Namespace) -> int:
    """Validate and report what was checked."""
    from rai_ft.config import read_yaml
    from rai_ft.validation import load_policy

    kind = args.kind if args.kind != "auto" else detect_kind(read_yaml(args.file))
    if kind == "policy":
        policy = load_policy(args.file)
        print(f"ok: policy {policy.name!r}: {len(policy.guards)} guard(s), {len(policy.thresholds)} threshold(s)")
        return EXIT_PASS
    from rai_ft.pipeline import prepare

    from rai_ft.preflight import preflight

    prep = prepare(args.file)
    checked = preflight(prep, output=args.output, model_dir=args.model, data=not args.no_data)  # what run checks
    line = f"ok: spec {prep.spec.name!r} with policy {prep.policy.name!r} ({prep.policy_path})"
    if checked.model is not None:
        line += f"; model {args.model or prep.spec.model.base}"
    data = checked.data
    if data is not None:
        line += f"; data {len(data.train)}/{len(data.validation)}/{len(data.test)} rows, labels {data.labels}"
    print(line)
    return EXIT_PASS
