"""Explainability benchmark: our SHAP path vs a naive shap.Explainer(transformers pipeline), and IG cost.

Same model (all-MiniLM-L6-v2 with a sequence-classification head; attribution speed does not depend on the
head's training), same texts (the first N sentences of SST-2 dev from ../shared/data/sst2), same SHAP settings
(Partition explainer, max_evals=200). Both timed side by side in this one process, after one warm-up call each.

    .venv/bin/python bench/explain.py [--n 24]
Results are printed as markdown and written to bench/results/explain.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SST2 = ROOT.parent / "shared" / "data" / "sst2"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--max-evals", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not SST2.is_dir():
        sys.exit(f"bench: {SST2} not found")
    import shap
    import torch
    from transformers import pipeline

    from rai_ft.explain.ig import IntegratedGradients
    from rai_ft.explain.shap_text import ShapText
    from rai_ft.modeling.loading import load_classifier, load_tokenizer, resolve_base
    from rai_ft.modeling.predictor import Predictor

    torch.manual_seed(0)
    lines = (SST2 / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    texts = [line.split("\t", 1)[1] for line in lines[: args.n + 1]]
    warm, texts = texts[0], texts[1:]
    location = resolve_base("builtin:minilm")
    tok = load_tokenizer(location)
    model = load_classifier(location, ["0", "1"]).eval()
    predictor = Predictor(model, tok, ["0", "1"], max_length=64)

    ours = ShapText(predictor, max_evals=args.max_evals)  # precision auto
    ours.explain(warm, 1)
    start = time.perf_counter()
    for t in texts:
        ours.explain(t, 1)
    ours_s = time.perf_counter() - start

    pipe = pipeline("text-classification", model=model, tokenizer=tok, top_k=None, device=-1)
    naive = shap.Explainer(pipe, silent=True)
    naive([warm], max_evals=args.max_evals)
    start = time.perf_counter()
    for t in texts:
        naive([t], max_evals=args.max_evals)
    naive_s = time.perf_counter() - start

    ig = IntegratedGradients(predictor)  # defaults: n_steps 50, internal batch 16
    ig.explain(warm, 1)
    start = time.perf_counter()
    deltas = [ig.explain(t, 1)[1] for t in texts]
    ig_s = time.perf_counter() - start

    n = len(texts)
    out = "\n".join([
        f"SST-2 dev, first {n} sentences (after one warm-up sentence), all-MiniLM-L6-v2 classifier, CPU, "
        f"torch threads {torch.get_num_threads()}.",
        "",
        "| path | examples / s | s / example | × naive |",
        "|---|---|---|---|",
        f"| naive `shap.Explainer(transformers pipeline)`, max_evals {args.max_evals} | {n / naive_s:.2f} | {naive_s / n:.3f} | 1.00 |",
        f"| rai-ft SHAP (batched probability function + Text masker, {'bf16' if ours.bf16 else 'fp32'}), max_evals {args.max_evals} | {n / ours_s:.2f} | {ours_s / n:.3f} | {naive_s / ours_s:.2f} |",
        f"| rai-ft Integrated Gradients (Captum LIG, n_steps 50, internal batch 16) | {n / ig_s:.2f} | {ig_s / n:.3f} | — |",
        "",
        f"IG convergence delta: mean {sum(deltas) / n:.2e}, max {max(deltas):.2e}.",
        "",
    ])
    print(out)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "explain.md").write_text(out)


if __name__ == "__main__":
    main()
