"""Spread of every default metric across training seeds: the demo (Adult) and SST-2, 3 seeds each.

Each configuration is one `rai-ft run SPEC --seeds N` (one run directory, one model per seed); the table is read from
its audit.json (`multi_seed.spread`), so it is exactly what a user's report shows. Also the same seed twice, to show
that a seed reproduces bit for bit on this machine (range 0).

    .venv/bin/python bench/seeds.py            # demo + SST-2, 3 seeds, and the repeat check (about 40 minutes)
    .venv/bin/python bench/seeds.py --quick    # small samples, 2 seeds
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, fmt, write_result  # noqa: E402
from privacy import SST2, dev_copy  # noqa: E402

DEFAULT_PREFIXES = ("performance.", "fairness.", "privacy.mia")


def run_seeds(spec: Path, out: Path, seeds: int) -> dict:
    """`rai-ft run SPEC --seeds N`; returns its audit.json with the wall time under `_wall`."""
    start = time.perf_counter()
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "rai-ft"), "run", str(spec), "--seeds", str(seeds),
                           "--output", str(out), "--quiet"], capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{spec}: exit {proc.returncode}\n{proc.stderr}")
    run_dir = sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))[-1]
    doc = json.loads((run_dir / "audit.json").read_text())
    doc["_wall"] = time.perf_counter() - start
    return doc


def sst2_spec(out: Path, train_n: int, test_n: int) -> Path:
    """LoRA on real SST-2 (train sample), validated and tested on the dev split."""
    (out / "sst2-policy.yaml").write_text(yaml.safe_dump({"name": "sst2-default"}))
    spec = {"name": "sst2-seeds", "model": {"base": "builtin:minilm",
                                            "adapter": {"method": "lora", "r": 8, "target_modules": ["query", "value"]}},
            "data": {"train": str(SST2 / "train.tsv"), "validation": str(dev_copy(out)), "test": str(dev_copy(out)),
                     "text": "sentence", "label": "label", "positive_label": "1",
                     "sample": {"train": train_n, "validation": 200, "test": test_n}},
            "train": {"epochs": 2, "batch_size": 32, "max_length": 64, "seed": 13, "learning_rate": 2e-3,
                      "early_stopping": None},
            "policy": "sst2-policy.yaml"}
    path = out / "sst2-seeds.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def demo_spec(out: Path, quick: bool) -> Path:
    """audits/demo.yaml as shipped (quick: smaller samples), with its policy path made absolute."""
    spec = yaml.safe_load((ROOT / "audits" / "demo.yaml").read_text())
    spec["policy"] = str(ROOT / "policies" / "default.yaml")
    if quick:
        spec["data"]["sample"] = {"train": 300, "validation": 100, "test": 200}
    path = out / "demo.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def spread_table(title: str, doc: dict) -> list[str]:
    """Markdown: each default metric's value per seed, mean, std and range (max - min), plus the gate per seed."""
    ms = doc["multi_seed"]
    lines = [f"### {title}", "", f"Seeds {ms['seeds']}, {doc['_wall'] / 60:.1f} min for all. Gate per seed: "
             + ", ".join(f"{p['seed']}: {p['status']}" for p in doc["gate"]["per_seed"])
             + f"; disagreements: {', '.join(d['metric'] for d in doc['gate']['disagreements']) or 'none'}.", "",
             "| metric | " + " | ".join(f"seed {s}" for s in ms["seeds"]) + " | mean | std | range |",
             "|---|" + "---|" * (len(ms["seeds"]) + 3)]
    for name, st in ms["spread"].items():
        if name.startswith(DEFAULT_PREFIXES) and "n_small_groups" not in name:
            lines.append(f"| `{name}` | " + " | ".join(fmt(v) for v in st["values"])
                         + f" | {fmt(st['mean'])} | {fmt(st['std'])} | {fmt(st['range'])} |")
    return lines + [""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--parts", nargs="+", default=["demo", "sst2", "repeat"], choices=["demo", "sst2", "repeat"])
    ap.add_argument("--demo-audit", type=Path, help="table the demo from this finished run's audit.json instead")
    args = ap.parse_args()
    seeds = 2 if args.quick else args.seeds
    out = Path(tempfile.mkdtemp(prefix="rai-ft-bench-seeds-"))
    lines = ["# Spread across training seeds", "", f"Command: `.venv/bin/python {' '.join(sys.argv)}`", ""]
    if args.demo_audit:
        demo = json.loads(args.demo_audit.read_text())
        demo["_wall"] = float("nan")
        lines += spread_table("Demo (audits/demo.yaml: LoRA on Adult as text, policy default)", demo)
    elif "demo" in args.parts:
        demo = run_seeds(demo_spec(out, args.quick), out / "demo", seeds)
        lines += spread_table("Demo (audits/demo.yaml: LoRA on Adult as text, policy default)", demo)
    if "sst2" in args.parts:
        sst2 = run_seeds(sst2_spec(out, 300 if args.quick else 2000, 200 if args.quick else 872), out / "sst2", seeds)
        lines += spread_table("SST-2 (LoRA, 2 epochs on 2,000 train sentences, tested on the 872 dev sentences)", sst2)
    if "repeat" not in args.parts:
        write_result("seeds", lines, args.quick)
        return
    small = sst2_spec(out, 300, 200)  # the same spec and seed twice, in two processes
    a, b = (run_seeds(small, out / f"repeat{i}", 1) for i in range(2))
    same = [k for k in a["metrics"] if a["metrics"][k] == b["metrics"].get(k)]
    lines += ["### The same seed twice", "",
              f"SST-2, 300 train sentences, seed 13, two separate `rai-ft run` processes: {len(same)} of "
              f"{len(a['metrics'])} metrics identical to the last bit"
              + ("." if len(same) == len(a["metrics"]) else f"; differing: {sorted(set(a['metrics']) - set(same))}."),
              ""]
    write_result("seeds", lines, args.quick)


if __name__ == "__main__":
    main()
