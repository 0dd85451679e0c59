"""Data-check benchmark: what the ``data`` check flags on real data at its default settings, and whether it catches
a planted trigger token.

SST-2 (GLUE, ``../shared/data/sst2``): the 67,349 training phrases as the training split and the 872 dev sentences
as the test split (no sensitive column). Reported: shortcut tokens at the default settings (the false-positive
criterion: expected 0), the purest tokens that were not flagged, train/test overlap and conflicting duplicates (true
facts about the data, not false positives), the same token statistics over a grid of settings, and a planted trigger
(the rare token ``cf`` of Kurita et al. 2020, inserted at a random position into a given share of the training rows,
all or most of them positive: caught yes/no with its support and purity), plus the runtime. Also the demo data
(``audits/demo.yaml``: UCI Adult records rendered as text, split as the pipeline splits it).

    .venv/bin/python bench/data.py            # about a minute on 2 CPU cores
    .venv/bin/python bench/data.py --quick    # 5,000 SST-2 training rows

Results are printed as markdown and written to bench/results/data.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, fmt, write_result

from rai_ft.checks.base import AuditContext
from rai_ft.checks.data import DataCheck, DataCheckConfig
from rai_ft.data.loading import LABEL, TEXT, DataBundle
from rai_ft.data.quality import shortcut_tokens, word_tokens

SST2 = ROOT.parent / "shared" / "data" / "sst2"  # ../shared/data/sst2 from the checkout; --sst2 for elsewhere
TRIGGER = "cf"
# (share of all training rows carrying the trigger, share of those rows that are positive)
PLANTS = ((0.005, 1.0), (0.01, 1.0), (0.02, 1.0), (0.05, 1.0), (0.10, 1.0), (0.05, 0.97), (0.05, 0.90))
GRID = ((0.002, 0.95), (0.005, 0.90), (0.005, 0.95), (0.01, 0.90), (0.01, 0.95), (0.02, 0.80))


def read_sst2(folder: Path, name: str, text_col: str) -> pd.DataFrame:
    """One SST-2 file as a frame with the pipeline's columns (labels 0/1 = negative/positive)."""
    frame = pd.read_csv(folder / name, sep="\t", quoting=3, keep_default_na=False)
    return pd.DataFrame({TEXT: frame[text_col].astype(str), LABEL: frame["label"].astype(int)})


def bundle(train: pd.DataFrame, test: pd.DataFrame) -> DataBundle:
    """A DataBundle as the pipeline builds it (no validation rows, no sensitive columns)."""
    return DataBundle(train=train, validation=test.iloc[:0], test=test, labels=["negative", "positive"],
                      positive_index=1, sensitive=[])


def run_check(data: DataBundle, **settings: Any) -> tuple[Any, float]:
    """The data check as the pipeline runs it; returns (result, seconds)."""
    ctx = AuditContext(spec=None, policy=None, predictions=None, texts=[], sensitive=None, data=data)  # type: ignore[arg-type]
    start = time.perf_counter()
    result = DataCheck(DataCheckConfig(**settings)).run(ctx)
    return result, time.perf_counter() - start


def plant(train: pd.DataFrame, share: float, purity: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """*train* with TRIGGER inserted at a random word position into *share* of all rows, a *purity* share of them
    positive (the rest negative)."""
    rng = random.Random(seed)
    n_pos = round(share * purity * len(train))
    n_neg = round(share * len(train)) - n_pos
    positives = [i for i, y in enumerate(train[LABEL]) if y == 1]
    negatives = [i for i, y in enumerate(train[LABEL]) if y == 0]
    chosen = set(rng.sample(positives, n_pos)) | set(rng.sample(negatives, n_neg))
    texts = []
    for i, text in enumerate(train[TEXT]):
        if i in chosen:
            words = text.split()
            words.insert(rng.randint(0, len(words)), TRIGGER)
            text = " ".join(words)
        texts.append(text)
    return train.assign(**{TEXT: texts})


def token_stats(train: pd.DataFrame, token: str) -> tuple[float, float]:
    """(support, purity) of *token* in *train*, measured directly."""
    labels = [y for t, y in zip(train[TEXT], train[LABEL]) if token in word_tokens(t)]
    top = max(sum(labels), len(labels) - sum(labels))
    return len(labels) / len(train), top / len(labels)


def clean_section(result: Any, seconds: float) -> list[str]:
    """Default-settings result on the real data."""
    d, m = result.details, result.metrics
    s, o, u = d["shortcuts"], d["overlap"]["train_test"], d["duplicates"]
    flagged = ", ".join(f"{r['token']} ({fmt(r['support'])}, {fmt(r['purity'])})" for r in s["shortcuts"]) or "none"
    nearest = ", ".join(f"{r['token']} (support {fmt(r['support'], 4)}, purity {fmt(r['purity'])})"
                        for r in s["nearest"])
    return [f"| shortcut tokens flagged (default settings) | **{int(m['data.shortcut_tokens'])}**: {flagged} |",
            f"| tokens tested (support ≥ {s['min_support']}) | {s['tokens_tested']} |",
            f"| purest tokens tested, not flagged | {nearest} |",
            (f"| test rows also in train: exact / normalised | {o['exact_rows']} / {o['normalised_rows']} of "
            f"{o['test_rows']} ({fmt(o['normalised_share'], 4)}): {', '.join(repr(t) for t in o['examples'])} |"),
            (f"| texts occurring more than once (all splits) | {u['duplicated_texts']} ({u['consistent_texts']} "
            f"consistent, **{u['conflicting_texts']} conflicting**, {u['conflicting_rows']} rows; "
             f"{u['exact_conflicting_texts']} conflicting as exact texts) |"),
            f"| conflicting examples | {'; '.join(repr(t) for t in u['examples'][:3])} |",
            f"| data check runtime | {seconds:.2f} s |"]


def grid_section(train: pd.DataFrame) -> list[str]:
    """Flags on the real data over a grid of (min_support, min_purity), alpha 0.01."""
    lines = ["| min_support | min_purity | tokens tested | flagged |", "|---|---|---|---|"]
    for support, purity in GRID:
        res = shortcut_tokens(train[TEXT].tolist(), train[LABEL].tolist(), support, purity, 0.01)
        names = ", ".join(r["token"] for r in res["shortcuts"][:12]) + (" …" if len(res["shortcuts"]) > 12 else "")
        lines.append(f"| {support} | {purity} | {res['tokens_tested']} | {len(res['shortcuts'])}"
                     f"{': ' + names if names else ''} |")
    return lines


def planted_section(train: pd.DataFrame, test: pd.DataFrame) -> list[str]:
    """The planted trigger at several shares of rows, default settings."""
    lines = [("| trigger rows (share of train) | of them positive | caught | support | purity | other tokens flagged "
             "| seconds |"), "|---|---|---|---|---|---|---|"]
    for share, purity in PLANTS:
        planted = plant(train, share, purity)
        result, seconds = run_check(bundle(planted, test))
        hits = {r["token"] for r in result.details["shortcuts"]["shortcuts"]}
        support, purity = token_stats(planted, TRIGGER)
        lines.append(f"| {share:.1%} | {purity:.0%} | {'**yes**' if TRIGGER in hits else 'no'} | {fmt(support, 4)} | {fmt(purity)} | "
                     f"{len(hits - {TRIGGER})} | {seconds:.2f} |")
    return lines


def demo_section() -> list[str]:
    """The demo's data (Adult as text), split as the pipeline splits it."""
    from rai_ft.config.spec import load_spec
    from rai_ft.data.loading import load_data

    result, seconds = run_check(load_data(load_spec(ROOT / "audits" / "demo.yaml")))
    m, d = result.metrics, result.details
    flagged = ", ".join(f"{r['token']} ({fmt(r['support'])}, {fmt(r['purity'])}, {r['label']})"
                        for r in d["shortcuts"]["shortcuts"])
    gaps = ", ".join(f"{k}: {fmt(v)}" for k, v in m.items() if k.endswith("label_rate_gap"))
    o, u = d["overlap"]["train_test"], d["duplicates"]
    return [f"| shortcut tokens flagged | **{int(m['data.shortcut_tokens'])}**: {flagged} |",
            (f"| test rows also in train: exact / normalised | {o['exact_rows']} / {o['normalised_rows']} of "
            f"{o['test_rows']} ({fmt(o['normalised_share'], 4)}) |"),
            f"| conflicting duplicates | {u['conflicting_texts']} texts ({u['conflicting_rows']} rows) |",
            f"| label-rate gap on train | {gaps} |", f"| data check runtime | {seconds:.2f} s |"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sst2", type=Path, default=SST2, help="folder with SST-2's train.tsv and dev.tsv")
    args = ap.parse_args()
    train = read_sst2(args.sst2, "train.tsv", "sentence")
    if args.quick:
        train = train.sample(5000, random_state=0).reset_index(drop=True)
    test = read_sst2(args.sst2, "dev.tsv", "content")
    result, seconds = run_check(bundle(train, test))
    lines = ["# Data check", "", f"Command: `.venv/bin/python {' '.join(sys.argv)}`", "",
             f"Default settings: {DataCheckConfig().model_dump()}", "",
             f"### SST-2: {len(train):,} train phrases vs {len(test)} dev sentences", "", "| measure | value |",
             "|---|---|", *clean_section(result, seconds), "",
             "### SST-2: shortcut tokens over a grid of settings (alpha 0.01)", "", *grid_section(train), "",
             f"### SST-2 with a planted trigger `{TRIGGER}` (default settings)", "",
             *planted_section(train, test), ""]
    if not args.quick:
        lines += ["### Demo data (audits/demo.yaml: Adult records as text, 2,000 train / 1,000 test)", "",
                  "| measure | value |", "|---|---|", *demo_section(), ""]
    write_result("data", lines, args.quick)


if __name__ == "__main__":
    main()
