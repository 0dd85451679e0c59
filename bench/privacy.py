"""Privacy benchmark: DP vs non-DP fine-tuning cost, accuracy at several ε, and the MIA gap.

Real data: GLUE SST-2 from ../shared/data/sst2 (a fixed, seeded subset of train; the full dev set).
Each configuration runs `rai-ft run` in its own process so that peak RSS is that configuration's alone;
ratios compare configurations measured side by side in this one invocation.

    .venv/bin/python bench/privacy.py            # everything (~30 min on 2 CPU cores)
    .venv/bin/python bench/privacy.py --quick    # a smoke run with tiny sizes
    .venv/bin/python bench/privacy.py --lora-repeat 3   # only DP-LoRA's cost, interleaved rounds (~12 min)
Results are printed as markdown and written to bench/results/privacy.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SST2 = ROOT.parent / "shared" / "data" / "sst2"


def dev_copy(out: Path) -> Path:
    """dev.tsv names its text column 'content', train.tsv 'sentence': a renamed temporary copy, never committed."""
    path = out / "sst2-dev.tsv"
    if not path.exists():
        lines = (SST2 / "dev.tsv").read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(["label\tsentence"] + lines[1:]) + "\n", encoding="utf-8")
    return path


def spec_for(name: str, method: str, dp: dict | None, train_n: int, epochs: int, out: Path,
             checks: dict | None = None, lr: float | None = None, test_n: int | None = None,
             batch_size: int = 32, optimizer: str = "adamw", iid: bool = False) -> Path:
    """Write a spec + policy pair for one configuration."""
    policy = {"name": f"bench-{name}", "guards": {"dp": dp} if dp else {},
              "checks": checks or {"privacy": {"max_examples": 200, "pii": False}}}
    (out / f"{name}-policy.yaml").write_text(yaml.safe_dump(policy))
    adapter = {"method": method} if method != "lora" else {"method": "lora", "r": 8, "target_modules": ["query", "value"]}
    spec = {
        "name": name,
        "model": {"base": "builtin:minilm", "adapter": adapter},
        "data": {"train": str(SST2 / "train.tsv"), "validation": str(dev_copy(out)), "test": str(dev_copy(out)),
                 "text": "sentence", "label": "label", "positive_label": "1",
                 "sample": {"train": train_n, "validation": 64, "test": test_n}},
        "train": {"epochs": epochs, "batch_size": batch_size, "optimizer": optimizer, "max_length": 64, "seed": 13, "early_stopping": None,
                  "learning_rate": lr or (2e-3 if method == "lora" else 5e-5)},
        "policy": f"{name}-policy.yaml",
    }
    if iid:  # members and non-members from one distribution (SST-2 train holds phrases, dev whole sentences)
        spec["data"] = {"source": str(SST2 / "train.tsv"), "text": "sentence", "label": "label", "positive_label": "1",
                        "split": {"validation": 0.1, "test": 0.2, "seed": 13},
                        "sample": {"train": train_n, "validation": 64, "test": test_n or train_n}}
    path = out / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def worker(spec: str, output: str) -> None:
    """Run one configuration in this process and print its numbers as JSON (last line)."""
    from rai_ft.pipeline import run

    start = time.perf_counter()
    run_dir, doc = run(spec, output, quiet=True)
    hist = doc["training"]["history"]
    dp = doc["guards"].get("dp", {}).get("summary", {})
    print(json.dumps({
        "epoch_seconds": [h["seconds"] for h in hist], "steps": doc["training"]["steps"],
        "wall_seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "dev_accuracy": doc["metrics"]["performance.accuracy"], "epsilon": dp.get("epsilon"),
        "noise_multiplier": dp.get("noise_multiplier"), "mia_auc": doc["metrics"].get("privacy.mia_auc"),
        "mia_tpr": doc["metrics"].get("privacy.mia_tpr_at_1pct_fpr"),
        "train_n": doc["data"]["sizes"]["train"], "test_n": doc["data"]["sizes"]["test"],
    }))


def measure(spec: Path, out: Path) -> dict:
    """Run a configuration in a fresh process."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, __file__, "--worker", str(spec), str(out / "reports")],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{spec.name} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def lora_repeat(rounds: int, n: int = 2000) -> None:
    """LoRA non-DP vs DP (each clipping mode), interleaved rounds; min and median epoch time per configuration."""
    import statistics

    configs = [("none", None)] + [(c, {"target_epsilon": 8.0, "clipping": c}) for c in ("flat", "per_layer", "ghost")]
    times: dict[str, list[float]] = {c: [] for c, _ in configs}
    rss: dict[str, list[float]] = {c: [] for c, _ in configs}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for r in range(rounds):
            for clip, dp in configs:
                res = measure(spec_for(f"lora-{clip}-{r}", "lora", dp, n, 1, out), out)
                times[clip].append(res["epoch_seconds"][0])
                rss[clip].append(res["peak_rss_mb"])
                print(f"  round {r} {clip}: {res['epoch_seconds'][0]:.1f}s", file=sys.stderr, flush=True)
    base_min, base_med = min(times["none"]), statistics.median(times["none"])
    lines = [f"### DP-LoRA cost, {rounds} interleaved rounds (one epoch of {n} SST-2 examples, batch 32)", "",
             "| training | fastest s / epoch | × non-DP | median s / epoch | × non-DP | peak RSS MB (max) |",
             "|---|---|---|---|---|---|"]
    for clip, _ in configs:
        label = "non-DP" if clip == "none" else f"DP, {clip} clipping"
        lo, med = min(times[clip]), statistics.median(times[clip])
        lines.append(f"| {label} | {lo:.1f} | {lo / base_min:.2f} | {med:.1f} | {med / base_med:.2f} | {max(rss[clip]):.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "privacy-lora.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=2, metavar=("SPEC", "OUTPUT"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--lora-repeat", type=int, metavar="N",
                        help="only the LoRA cost rows, N interleaved rounds; report the fastest epoch of each")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if not SST2.is_dir():
        sys.exit(f"bench: {SST2} not found (the benchmark needs ../shared/data/sst2)")
    if args.lora_repeat:
        lora_repeat(args.lora_repeat)
        return
    quick = args.quick
    n_time, n_acc, n_mia = (96, 96, 64) if quick else (2000, 2000, 400)
    ep_acc, ep_mia = (1, 2) if quick else (3, 8)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def row(name, method, dp, n, epochs, **kw):
            res = measure(spec_for(name, method, dp, n, epochs, out, **kw), out)
            print(f"  {name}: {json.dumps(res)}", file=sys.stderr, flush=True)
            return res

        # 1. cost: same steps, same batch, one epoch each
        cost = {}
        for method in ("lora", "full"):
            cost[(method, "none")] = row(f"{method}-nodp", method, None, n_time, 1)
            for clip in ("flat", "per_layer", "ghost"):
                cost[(method, clip)] = row(f"{method}-dp-{clip}", method, {"target_epsilon": 8.0, "clipping": clip},
                                           n_time, 1)
        lines += ["### Cost of DP (one epoch, same steps and batch)", "",
                  f"SST-2 train subset of {n_time}, batch 32 (logical = physical), max_length 64, all-MiniLM-L6-v2.", "",
                  "| adapter | training | s / epoch | × non-DP | peak RSS MB | × non-DP |", "|---|---|---|---|---|---|"]
        for (method, clip), r in cost.items():
            base = cost[(method, "none")]
            label = "non-DP" if clip == "none" else f"DP, {clip} clipping"
            lines.append(f"| {method} | {label} | {r['epoch_seconds'][0]:.1f} | "
                         f"{r['epoch_seconds'][0] / base['epoch_seconds'][0]:.2f} | {r['peak_rss_mb']:.0f} | "
                         f"{r['peak_rss_mb'] / base['peak_rss_mb']:.2f} |")
        # 2. utility: dev accuracy at ε = 1, 3, 8 vs non-private. DP-SGD needs few noisy parameters and large
        #    batches: BitFit (biases + head), SGD with momentum, logical batch 256 in physical batches of 32.
        dp_recipe = {"optimizer": "sgd", "lr": 1.0, "batch_size": 256}
        lines += ["", f"### Dev accuracy vs ε ({n_acc} train examples, {ep_acc} epochs, full dev set of 872)", "",
                  "| adapter, optimizer, batch | training | ε (δ auto) | noise multiplier | dev accuracy |",
                  "|---|---|---|---|---|"]
        r = row("acc-lora-nodp", "lora", None, n_acc, ep_acc)
        lines.append(f"| LoRA r=8, AdamW 2e-3, 32 | non-private | ∞ | 0 | {r['dev_accuracy']:.3f} |")
        r = row("acc-bitfit-nodp", "bitfit", None, n_acc, ep_acc, **dp_recipe)
        lines.append(f"| BitFit, SGD 1.0 m 0.9, 256 | non-private | ∞ | 0 | {r['dev_accuracy']:.3f} |")
        for eps in (8.0, 3.0, 1.0):
            r = row(f"acc-dp-{eps:g}", "bitfit", {"target_epsilon": eps, "max_physical_batch_size": 32}, n_acc, ep_acc,
                    **dp_recipe)
            lines.append(f"| BitFit, SGD 1.0 m 0.9, 256 | DP | {r['epsilon']:.2f} | {r['noise_multiplier']:.3f} | "
                         f"{r['dev_accuracy']:.3f} |")
        # 3. MIA: over-fitted non-DP full fine-tune vs a DP one; members and non-members both from SST-2 train
        lines += ["", f"### Membership inference ({n_mia} train examples, members vs {n_mia} held-out examples of "
                  "the same SST-2 train distribution)", "",
                  "| model | ε | MIA AUC (max of loss / calibrated attack) | TPR at 1% FPR | held-out accuracy |",
                  "|---|---|---|---|---|"]
        for name, dp, kw in (("mia-overfit", None, {"lr": 1e-4}),
                             ("mia-dp", {"target_epsilon": 3.0, "clipping": "ghost"},
                              {"lr": 0.5, "optimizer": "sgd", "batch_size": 64})):
            r = row(name, "full", dp, n_mia, ep_mia, iid=True, test_n=n_mia,
                    checks={"privacy": {"max_examples": n_mia, "pii": False}}, **kw)
            lines.append(f"| {'full fine-tune, AdamW, non-DP (over-fitted)' if dp is None else 'full fine-tune, DP-SGD'} | "
                         f"{'∞' if dp is None else format(r['epsilon'], '.2f')} | {r['mia_auc']:.3f} | "
                         f"{r['mia_tpr']:.3f} | {r['dev_accuracy']:.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"privacy{'-quick' if quick else ''}.md").write_text(text)


if __name__ == "__main__":
    main()
