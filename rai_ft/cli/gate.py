"""``rai-ft gate AUDIT_JSON --policy POLICY``: a policy's thresholds as an exit code for CI."""

from __future__ import annotations

import argparse
from pathlib import Path

from rai_ft.cli._common import exit_for
from rai_ft.errors import MSG_NOT_UTF8, SpecError

__all__ = ["add_parser", "handle"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "gate", help="apply a policy's thresholds to an audit.json; exit 1 if it fails",
        description="Re-evaluate POLICY's thresholds against the metrics recorded in AUDIT_JSON (a file or a run "
                    "directory). Missing, NaN or infinite metrics and crashed checks fail (fail closed). "
                    "Exit 0 pass/warn, 1 fail, 2 bad input.")
    p.add_argument("audit", metavar="AUDIT_JSON", help="audit.json or the run directory holding it")
    p.add_argument("--policy", "-p", required=True, metavar="POLICY", help="policy YAML")
    p.add_argument("--junit", metavar="FILE", help="also write JUnit XML (one testcase per threshold)")
    p.add_argument("--summary", metavar="FILE", help="also write a markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    p.add_argument("--fail-on", choices=("fail", "warn"), default="fail",
                   help="exit 1 on fail only (default) or on warn too")


def handle(args: argparse.Namespace) -> int:
    """Evaluate, print a table, write the optional reports."""
    from rai_ft.validation import load_policy
    from rai_ft.gate import evaluate_gate, gate_to_junit, gate_to_markdown
    from rai_ft.multiseed import gate_across_seeds
    from rai_ft.preflight import check_file_arg
    from rai_ft.record import read_audit, write_text_atomic

    doc = read_audit(args.audit)
    policy = load_policy(args.policy)
    for flag, path in (("--junit", args.junit), ("--summary", args.summary)):
        if path:
            check_file_arg(path, flag)  # before anything is printed or written
    previous = _previous_summary(Path(args.summary)) if args.summary else ""
    measured = {name: c["settings"] for name, c in doc["checks"].items() if "settings" in c}
    if "multi_seed" in doc:  # one model per seed: this policy's thresholds on every seed, aggregated as it says
        result = gate_across_seeds(policy, doc["multi_seed"]["runs"], measured)
    else:
        statuses = {name: c["status"] for name, c in doc["checks"].items()}
        result = evaluate_gate(policy, doc["metrics"], statuses, list(doc["guards"]), doc.get("metric_ci"), measured)
    width = max([len(r["metric"]) for r in result["results"]] + [6])
    for r in result["results"]:
        print(f"{r['status'].upper():4}  {r['metric']:<{width}}  {r['reason']}")
    print(f"gate: {result['status'].upper()} ({len(result['results'])} threshold(s), policy {policy.name!r}, "
          f"run {doc['run_id']})")
    if args.junit:
        write_text_atomic(Path(args.junit), gate_to_junit(result))
    if args.summary:
        write_text_atomic(Path(args.summary), previous + gate_to_markdown(result, doc["run_id"]))
    return exit_for(result["status"], args.fail_on)


def _previous_summary(path: Path) -> str:
    """The markdown summary the gate appends to (a CI job summary collects several)."""
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else ""
    except UnicodeDecodeError as exc:
        raise SpecError(MSG_NOT_UTF8.format(position=exc.start), file=path, field="--summary") from None
