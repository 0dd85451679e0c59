"""Why LoRA NER stayed at all-O: the tag head's learning rate (the probe that chose `train.head_learning_rate`).

A small loop of its own (not `rai-ft run`): LoRA r 16 on query/key/value/dense of the default model, AdamW with two
parameter groups (adapter at `lr`, the new tag head at `head_lr`), a linear warm-up over the first 10% of the steps
and linear decay (the product's loop has a constant rate), batch 16, `max_length` 64; trained on the first `n`
WNUT-17 training sentences, scored (seqeval-style entity F1) on the first 400 validation sentences after each
epoch. The test split is never read.

    PYTHONPATH=. .venv/bin/python bench/ner_head_lr.py                      # the four settings below, 2 epochs
    PYTHONPATH=. .venv/bin/python bench/ner_head_lr.py --settings 1e-3:1e-2 --epochs 4
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import torch

from rai_ft.config.spec import AdapterConfig
from rai_ft.modeling.adapters import apply_adapter, head_parameters
from rai_ft.modeling.loading import resolve_base
from rai_ft.tasks.token_classification.dataset import TokenDataset
from rai_ft.tasks.token_classification.entities import entity_scores
from rai_ft.tasks.token_classification.wnut17 import load_wnut17
from rai_ft.training.batches import make_loader

SETTINGS = ["1e-3:1e-3", "3e-3:3e-3", "3e-3:1e-2", "1e-3:1e-2"]  # adapter rate : head rate


def _sentences(split: list[Any], labels: list[str], n: int) -> tuple[list[list[str]], list[list[int]]]:
    index = {t: i for i, t in enumerate(labels)}
    return [list(w) for w, _ in split[:n]], [[index[t] for t in tags] for _, tags in split[:n]]


def _first_piece_tags(model: Any, tok: Any, words: list[list[str]], labels: list[str]) -> list[list[str]]:
    """Each word's tag, read from its first piece."""
    out = []
    model.eval()
    with torch.no_grad():
        for i in range(0, len(words), 64):
            batch = words[i:i + 64]
            enc = tok(batch, is_split_into_words=True, truncation=True, max_length=64, padding=True,
                      return_tensors="pt")
            best = model(**enc).logits.argmax(-1)
            for j, sent in enumerate(batch):
                seen: set[int] = set()
                tags = []
                for k, w in enumerate(enc.word_ids(j)):
                    if w is not None and w not in seen:
                        seen.add(w)
                        tags.append(labels[int(best[j, k])])
                out.append(tags + ["O"] * (len(sent) - len(tags)))
    model.train()
    return out


def probe(lr: float, head_lr: float, epochs: int, n: int) -> list[dict[str, float]]:
    """Train once; the validation entity F1 after each epoch."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    torch.manual_seed(0)
    splits, info = load_wnut17()
    labels = info.labels
    base = resolve_base("builtin:minilm")
    tok = AutoTokenizer.from_pretrained(base)
    model = apply_adapter(AutoModelForTokenClassification.from_pretrained(base, num_labels=len(labels)),
                          AdapterConfig(method="lora", r=16, alpha=32, dropout=0.05,
                                        target_modules=["query", "key", "value", "dense"]), 100, "TOKEN_CLS")
    words, tags = _sentences(splits["train"], labels, n)
    loader = make_loader(TokenDataset(tok, words, tags, 64), tok, 16, 0)
    head = {id(p) for p in head_parameters(model)}
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": [p for p in trainable if id(p) not in head], "lr": lr},
                             {"params": [p for p in trainable if id(p) in head], "lr": head_lr}])
    steps, warm = epochs * len(loader), max(1, epochs * len(loader) // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm))))
    dev_words, dev_tags = _sentences(splits["validation"], labels, 400)
    gold = [[labels[t] for t in s] for s in dev_tags]
    rows, start = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        for batch in loader:
            batch.pop("weights", None)
            model(**batch).loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
        s = entity_scores(gold, _first_piece_tags(model, tok, dev_words, labels))
        rows.append({"epoch": epoch, "f1": s["f1"], "precision": s["precision"], "recall": s["recall"],
                     "seconds": time.perf_counter() - start})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", nargs="+", default=SETTINGS, help="adapter_lr:head_lr pairs")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train", type=int, default=1600, help="training sentences (the first n)")
    args = ap.parse_args()
    print("| adapter lr | head lr | epoch | validation entity F1 | P | R | seconds |\n|---|---|---|---|---|---|---|")
    for setting in args.settings:
        lr, head_lr = (float(x) for x in setting.split(":"))
        for r in probe(lr, head_lr, args.epochs, args.train):
            print(f"| {lr:g} | {head_lr:g} | {r['epoch']} | {r['f1']:.3f} | {r['precision']:.3f} | "
                  f"{r['recall']:.3f} | {r['seconds']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
