"""Robustness benchmark: attack throughput of our engine vs TextAttack, and robust accuracy before vs after
adversarial training, on the default model fine-tuned on real SST-2 (../shared/data/sst2).

1. `rai-ft run` a LoRA fine-tune of builtin:minilm on a seeded SST-2 train subset, with the robustness check
   (DeepWordBug, the same 200 dev examples every time).
2. `rai-ft run` the same spec with the `adversarial` guard; its robustness check cites run 1 (`compare_with`), so the
   report shows before vs after from the same attack on the same examples.
3. On run 1's saved model, the same recipe on the same examples, side by side, alternating, `--repeat` rounds:
   our batched engine; `textattack.Attacker` with the identical recipe and our inference function;
   `textattack.Attacker` with TextAttack's own `HuggingFaceModelWrapper` (what `textattack attack` uses).

    .venv/bin/python bench/robustness.py              # ~15 min on 2 CPU cores (2,000 train, 100 attacked)
    .venv/bin/python bench/robustness.py --quick      # smoke run with tiny sizes
Results are printed as markdown and written to bench/results/robustness.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt, rai_ft_run, write_result  # noqa: E402
from privacy import SST2, dev_copy  # noqa: E402


def write_run(out: Path, name: str, train_n: int, epochs: int, n_attack: int, guards: dict,
              compare_with: str | None = None) -> Path:
    """A spec + policy for one run."""
    rob = {"max_examples": n_attack, "seed": 0, **({"compare_with": compare_with} if compare_with else {})}
    (out / f"{name}-policy.yaml").write_text(yaml.safe_dump({"name": name, "guards": guards,
                                                            "checks": {"robustness": rob}}))
    spec = {"name": name, "model": {"base": "builtin:minilm",
                                    "adapter": {"method": "lora", "r": 8, "target_modules": ["query", "value"]}},
            "data": {"train": str(SST2 / "train.tsv"), "validation": str(dev_copy(out)), "test": str(dev_copy(out)),
                     "text": "sentence", "label": "label", "positive_label": "1",
                     "sample": {"train": train_n, "validation": 200}},
            "train": {"epochs": epochs, "batch_size": 32, "max_length": 64, "seed": 13, "learning_rate": 2e-3,
                      "early_stopping": None},
            "policy": f"{name}-policy.yaml"}
    path = out / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path



ENGINES = ("rai-fp32", "rai-bf16", "ta-ours", "ta-stock")


def throughput(model_dir: Path, n: int, repeat: int, which: tuple[str, ...] = ENGINES) -> list[dict]:
    """Our engine vs TextAttack on the same model, recipe and examples, alternating."""
    import numpy as np
    import pandas as pd

    from rai_ft.modeling.artifacts import load_saved_model
    from rai_ft.modeling.predictor import Predictor
    from rai_ft.robustness.model_attack import attack_predictor
    from rai_ft.robustness import RECIPES
    from rai_ft.robustness.summary import summarize
    from rai_ft.robustness.ta_engine import import_textattack, textattack_attack

    model, tok, meta = load_saved_model(model_dir)
    # TextAttack's HuggingFaceModelWrapper only takes a plain PreTrainedModel: merge the LoRA weights once and give
    # the same merged model to every engine.
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.eval()
    predictor = Predictor(model, tok, meta["labels"], max_length=64, batch_size=128)
    dev = pd.read_csv(SST2 / "dev.tsv", sep="\t", quoting=3)
    ids = sorted(np.random.default_rng(0).choice(len(dev), size=n, replace=False).tolist())
    texts = [str(dev["content"][i]) for i in ids]
    labels = [meta["labels"].index(str(dev["label"][i])) for i in ids]
    recipe = RECIPES["deepwordbug"]
    ta = import_textattack()
    rows = []

    def stock(recipe_, texts_, labels_):
        wrapper = ta.models.wrappers.HuggingFaceModelWrapper(model, tok)
        return textattack_attack(texts_, labels_, lambda b: wrapper(b), recipe_, progress=False)

    engines = {
        "rai-fp32": ("rai-ft engine, fp32 search", lambda: attack_predictor(
            predictor, texts, labels, recipe, progress=False, search_precision="fp32")),
        "rai-bf16": ("rai-ft engine, bf16-guided search (fp32 decisions)", lambda: attack_predictor(
            predictor, texts, labels, recipe, progress=False, search_precision="bf16")),
        "ta-ours": ("textattack.Attacker, same recipe, our inference", lambda: textattack_attack(
            texts, labels, lambda b: predictor.proba(b), recipe, progress=False)),
        "ta-stock": ("textattack.Attacker, same recipe, HuggingFaceModelWrapper",
                     lambda: stock(recipe, texts, labels)),
    }
    engines = {k: v for k, v in engines.items() if k in which}
    for r in range(repeat):
        for name, fn in engines.values():
            start = time.perf_counter()
            result = fn()
            secs = time.perf_counter() - start
            s = summarize(result.results)
            rows.append({"round": r + 1, "engine": name, "seconds": secs, "examples_per_s": len(texts) / secs, **s})
            print(f"  round {r + 1} {name}: {secs:.1f}s, success {s['attack_success_rate']:.3f}", file=sys.stderr)
    return rows



def speed_table(rows: list[dict]) -> list[str]:
    """The side-by-side throughput table and the speed-ups of our engine (fastest round of each engine)."""
    if not rows:
        return []
    lines = ["", "## Attack throughput, side by side (alternating rounds, same model/recipe/examples)", "",
             "| round | engine | seconds | examples/s | success rate | avg queries |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['round']} | {r['engine']} | {r['seconds']:.1f} | {r['examples_per_s']:.2f} | "
                     f"{fmt(r['attack_success_rate'])} | {fmt(r['avg_queries'], 1)} |")
    best: dict[str, float] = {}
    for r in rows:
        best[r["engine"]] = min(best.get(r["engine"], 1e9), r["seconds"])
    ours = [k for k in best if k.startswith("rai-ft")]
    theirs = [k for k in best if not k.startswith("rai-ft")]
    lines += ["", "Speed-ups (fastest round of each):"]
    for a in ours:
        for b in theirs + [o for o in ours if o != a]:
            lines.append(f"- {a} vs {b}: **{best[b] / best[a]:.2f}x**")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="throughput rounds (0: before/after only)")
    ap.add_argument("--train-n", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--examples", type=int, default=100, help="dev examples attacked")
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--model", type=Path, help="throughput only, on this saved run model (no training)")
    args = ap.parse_args()
    train_n, epochs, n_attack = (400, 1, 20) if args.quick else (args.train_n, args.epochs, args.examples)
    if args.model:
        rows = throughput(args.model, n_attack, args.repeat, tuple(args.engines))
        lines = ["# Robustness benchmark: attack throughput only", "",
                 f"Command: `.venv/bin/python {' '.join(sys.argv)}`", "",
                 f"Model: {args.model} (LoRA merged). Attack: DeepWordBug on {n_attack} SST-2 dev examples (seed 0)."]
        write_result("robustness-throughput", lines + speed_table(rows), args.quick)
        return
    out = Path(tempfile.mkdtemp(prefix="rai-ft-bench-rob-"))
    base_dir, base = rai_ft_run(write_run(out, "sst2-lora", train_n, epochs, n_attack, {}), out)
    adv_spec = write_run(out, "sst2-lora-adv", train_n, epochs, n_attack,
                         {"adversarial": {"clean_epochs": 1, "fraction": 0.5, "max_examples": 1500}}, str(base_dir))
    adv_dir, adv = rai_ft_run(adv_spec, out)
    rows = throughput(base_dir / "model", n_attack, args.repeat, tuple(args.engines)) if args.repeat > 0 else []
    lines = ["# Robustness benchmark", "", f"Command: `.venv/bin/python {' '.join(sys.argv)}`", "",
             f"Model: builtin:minilm + LoRA (r=8, query/value), {train_n} SST-2 train sentences, {epochs} epochs, "
             f"max_length 64. Attack: {base['checks']['robustness']['details']['recipe_line']}; "
             f"{n_attack} SST-2 dev examples (seed 0).", "",
             "## Before vs after adversarial training (same attack, same examples)", "",
             "| model | dev accuracy | clean acc. (attacked) | accuracy under attack | attack success rate | "
             "words changed % | train time (s) |", "|---|---|---|---|---|---|---|"]
    for name, doc in (("LoRA", base), ("LoRA + adversarial training", adv)):
        s = doc["checks"]["robustness"]["details"]["summary"]
        lines.append(f"| {name} | {fmt(doc['metrics'].get('performance.accuracy'))} | {fmt(s['clean_accuracy'])} | "
                     f"{fmt(s['accuracy_under_attack'])} | {fmt(s['attack_success_rate'])} | "
                     f"{fmt(s['avg_perturbed_words_pct'], 1)} | {fmt(doc['training']['seconds'], 0)} |")
    cmp = adv["checks"]["robustness"]["details"]["comparison"]
    lines += ["", f"The adversarial run's report cites the first run (`compare_with`): {cmp['source'] if cmp else 'n/a'}.",
              f"Adversarial rounds: {json.dumps(adv['guards']['adversarial']['summary']['rounds'])}"]
    lines += speed_table(rows)
    suffix = "" if (epochs, args.repeat) == (2, 2) or args.quick else f"-e{epochs}-r{args.repeat}"
    write_result(f"robustness{suffix}", lines, args.quick)


if __name__ == "__main__":
    main()
