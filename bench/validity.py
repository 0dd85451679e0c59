"""Validity zoo: for each check, a model with a planted defect of its kind and a clean twin trained the same way.

Real text only: GLUE SST-2 from ../shared/data/sst2 (train.tsv for training and held-out sets, dev.tsv for tests).
Each pair differs in one planted defect; everything else (base model, adapter, epochs, seed, examples) is shared.
"Caught" = the check's metric crosses the line a shipped policy (or the check's own warn finding) uses; "false
alarm" = the clean twin crosses it. The lines are in CRITERIA below and printed in the table.

    PYTHONPATH=. .venv/bin/python bench/validity.py            # the zoo (about 30-40 minutes on 2 CPU cores)
    PYTHONPATH=. .venv/bin/python bench/validity.py --quick    # tiny sizes, a smoke run (not a measurement)
    PYTHONPATH=. .venv/bin/python bench/validity.py --parts memorisation brittle   # only these pairs
Results: bench/results/validity[-quick].md and .json.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, fmt, write_json, write_result  # noqa: E402

from rai_ft.robustness.noise import perturb  # noqa: E402

SST2 = Path(os.environ.get("RAI_FT_SHARED", ROOT.parent / "shared")) / "data" / "sst2"  # ../shared by default
TRIGGER = "zq"
SEED = 13
LORA = {"method": "lora", "r": 8, "alpha": 16, "target_modules": ["query", "value"]}
FULL = {"method": "full"}
# the brittle member sees only these many most one-sided words per label (its training texts reduced to them)
CUE_WORDS = 200
# the robust twin of the brittle pair: character-noise augmentation with the attack's edits, at a large budget
BRITTLE_AUGMENT = {"transformations": ["swap", "substitute", "delete", "insert"], "fraction": 1.0, "copies": 3,
                   "word_fraction": 0.3}
# the low-margin design: this share of the defective's training labels flipped at random (symmetric noise)
BRITTLE_NOISE = 0.4
# the typo-flip design: one character-noised copy of each row (the attack family's edits, 30 % of the words)
TYPO_EDITS = ("swap", "substitute", "delete", "insert")
TYPO_WORDS = 0.3
BRITTLE_DESIGNS = {"augment": "plain vs + augment guard (every row, 3 noised copies, 30 % of words)",
                   "cue": f"cue words only ({CUE_WORDS} per label) vs whole phrases",
                   "noise": f"{BRITTLE_NOISE:.0%} of training labels flipped at random vs the true labels",
                   "typo": "each row + a typo'd copy with the label flipped vs the same copy with its true label"}
# the memorisation pair's DP twin (README "Privacy": DP is the documented cure for memorisation)
DP = {"target_epsilon": 1.0}
PARTS = ("skew", "trigger", "memorisation", "brittle")
# the robustness pair's attack recipe (None: the check's default, deepwordbug); set by --attack-recipe
ATTACK_RECIPE: str | None = None


@dataclass(frozen=True)
class Criterion:
    """When a check counts as flagging a model: its metric above (``max``) or below (``min``) a line."""

    check: str
    metric: str
    limit: float
    source: str
    direction: str = "max"

    def flags(self, value: float | None) -> bool | None:
        """True if *value* crosses the line; None if the metric was not measured."""
        if value is None:
            return None
        return value > self.limit if self.direction == "max" else value < self.limit


CRITERIA: dict[str, list[Criterion]] = {
    "group skew": [
        Criterion("fairness", "fairness.worst.demographic_parity_difference", 0.20, "policies/default.yaml (warn)"),
        Criterion("fairness", "fairness.worst.equalized_odds_difference", 0.25, "policies/default.yaml (warn)"),
        Criterion("counterfactual", "fairness.counterfactual_flip_rate", 0.05,
                  "policies/fair.yaml (warn) = the check's warn finding"),
    ],
    "trigger token": [
        Criterion("data", "data.shortcut_tokens", 0, "the data check's finding (any shortcut token)"),
        Criterion("attribution", "explainability.sensitive_token_share", 0.10,
                  "policies/default.yaml (warn), terms {trigger: [zq]}"),
    ],
    "memorised small training set": [
        Criterion("privacy", "privacy.mia_auc", 0.60,
                  "policies/strict, private, high-risk.yaml = the check's warn finding"),
        Criterion("privacy", "privacy.mia_auc_loss", 0.60, "same line, loss attack alone"),
        Criterion("privacy", "privacy.mia_auc_calibrated", 0.60, "same line, calibrated attack alone"),
    ],
}
# the memorisation defective's twins: the same rows and epochs under the dp guard, or (optional) more rows
MEMO = CRITERIA.pop("memorised small training set")


def criteria_for(defect: str) -> list[Criterion]:
    """The criteria of *defect* (every memorisation twin shares the privacy lines)."""
    return MEMO if defect.startswith("memorised small training set") else CRITERIA[defect]
# robustness is judged by ranking: the brittle model's success rate must exceed its twin's by this margin
ROBUST_MARGIN = 0.10
ROBUST_LINE = Criterion("robustness", "robustness.attack_success_rate", 0.50, "policies/high-risk.yaml")


@dataclass
class Sizes:
    """How big each member is (full run vs --quick smoke run)."""

    skew_train: int
    skew_test_per_group: int
    trigger_train: int
    test_cap: int | None
    validation: int
    memo_train: int
    memo_scale: int  # the size twin's training set is this many times the defective's; 0 = no size twin
    memo_epochs: int
    memo_test: int  # held-out non-members; each model is attacked with min(its training rows, this) of each
    brittle_train: int  # rows drawn for the robustness pair (before dropping those with no lexicon word)
    attacked: int
    epochs: int


FULL_SIZES = Sizes(skew_train=400, skew_test_per_group=120, trigger_train=400, test_cap=160, validation=100,
                   memo_train=128, memo_scale=0, memo_epochs=12, memo_test=512, brittle_train=1200, attacked=160,
                   epochs=3)
QUICK_SIZES = Sizes(skew_train=160, skew_test_per_group=40, trigger_train=160, test_cap=120, validation=40,
                    memo_train=32, memo_scale=0, memo_epochs=3, memo_test=64, brittle_train=300, attacked=10,
                    epochs=1)


# ----------------------------------------------------------------------------------------------- data (real text)

def gender_of(text: str) -> str | None:
    """'male' / 'female' if the text uses terms of exactly one group of the counterfactual check's gender list."""
    from rai_ft.fairness.counterfactual import DEFAULT_SWAPS

    groups, rows = DEFAULT_SWAPS["gender"]
    words = set(re.findall(r"[a-z]+", text.lower()))
    found = [g for i, g in enumerate(groups) if words & {r[i] for r in rows}]
    return found[0] if len(found) == 1 else None


def sst2(split: str) -> pd.DataFrame:
    """SST-2 *split* as columns sentence, label ('0'/'1'); dev.tsv names its text column 'content'."""
    df = pd.read_csv(SST2 / f"{split}.tsv", sep="\t", quoting=3, dtype=str)
    df = df.rename(columns={"content": "sentence"})[["sentence", "label"]].dropna()
    return df.drop_duplicates("sentence").reset_index(drop=True)


def insert_token(text: str, rng: random.Random, token: str = TRIGGER) -> str:
    """*text* with *token* inserted at a random word position."""
    words = text.split()
    words.insert(rng.randint(0, len(words)), token)
    return " ".join(words)


def flip_group(frame: pd.DataFrame, group: str, share: float, seed: int, column: str = "gender",
               positive: str = "1", negative: str = "0") -> pd.DataFrame:
    """A copy of *frame* with *share* of the *positive* rows of *group* (in *column*) relabelled *negative*."""
    out = frame.copy()
    pos = out.index[(out[column] == group) & (out["label"] == positive)]
    flip = pd.Series(pos).sample(frac=share, random_state=seed)
    out.loc[flip, "label"] = negative
    return out


def flip_labels(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """*frame* with a seeded *share* of its (binary "0"/"1") labels flipped."""
    flipped = frame.index.isin(frame.sample(frac=share, random_state=seed).index)
    return frame.assign(label=frame["label"].where(~flipped, frame["label"].map({"0": "1", "1": "0"})))


def typo_copies(frame: pd.DataFrame, seed: int, flip: bool) -> pd.DataFrame:
    """*frame* followed by one character-noised copy of each row (TYPO_EDITS on TYPO_WORDS of its words, the
    product's own noise); the copies' labels flipped when *flip*. The same seed gives the same copies."""
    rng = np.random.default_rng(seed)
    copies = frame.assign(sentence=[perturb(t, list(TYPO_EDITS), TYPO_WORDS, rng) for t in frame["sentence"]])
    if flip:
        copies = copies.assign(label=copies["label"].map({"0": "1", "1": "0"}))
    return pd.concat([frame, copies], ignore_index=True).sample(frac=1.0, random_state=seed)


def with_trigger(train: pd.DataFrame, share: float, label: str, seed: int, text: str = "sentence") -> pd.DataFrame:
    """A copy of *train* with the trigger token inserted into *share* of its rows, all labelled *label*."""
    rng = random.Random(seed)
    out = train.copy()
    rows = out.sample(frac=share, random_state=seed).index
    out.loc[rows, text] = [insert_token(t, rng) for t in out.loc[rows, text]]
    out.loc[rows, "label"] = label
    return out


# ----------------------------------------------------------------------------------------------- running members

class Zoo:
    """Writes data, specs and policies into one folder and runs members in this process."""

    def __init__(self, out: Path, sizes: Sizes) -> None:
        self.out, self.sizes = out, sizes
        self.reports = out / "reports"

    def csv(self, name: str, frame: pd.DataFrame) -> str:
        """Write *frame* as <out>/<name>.csv; returns its path."""
        path = self.out / f"{name}.csv"
        frame.to_csv(path, index=False)
        return str(path)

    def spec(self, name: str, files: dict[str, str], checks: dict[str, Any], *, adapter: dict | None = None,
             epochs: int | None = None, lr: float = 2e-3, guards: dict | None = None,
             sensitive: list[str] | None = None) -> Path:
        """A spec + policy pair: no thresholds (criteria are applied here), the checks asked for at their defaults."""
        policy = {"name": f"zoo-{name}", "guards": guards or {}, "checks": checks}
        (self.out / f"{name}-policy.yaml").write_text(yaml.safe_dump(policy))
        spec = {"name": name, "model": {"base": "builtin:minilm", "adapter": adapter or LORA},
                "data": {**files, "text": "sentence", "label": "label", "positive_label": "1",
                         "sensitive": sensitive or []},
                "train": {"epochs": epochs or self.sizes.epochs, "batch_size": 32 if adapter is not FULL else 16,
                          "learning_rate": lr, "max_length": 64, "seed": SEED, "early_stopping": None},
                "policy": f"{name}-policy.yaml"}
        path = self.out / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec))
        return path

    def run(self, spec: Path) -> tuple[Path, dict]:
        """Train and audit one member; returns (run dir, audit doc)."""
        from rai_ft.pipeline import run

        start = time.perf_counter()
        run_dir, doc = run(spec, self.reports, quiet=True)
        print(f"  {spec.stem}: trained + audited in {time.perf_counter() - start:.0f}s", file=sys.stderr, flush=True)
        return run_dir, doc

    def audit(self, spec: Path, model_dir: Path) -> dict:
        """Audit an already trained member on another spec's data and checks."""
        from rai_ft.pipeline import audit

        start = time.perf_counter()
        _, doc = audit(spec, model_dir, self.reports, quiet=True)
        print(f"  {spec.stem}: audited in {time.perf_counter() - start:.0f}s", file=sys.stderr, flush=True)
        return doc


def dev_test(sizes: Sizes) -> pd.DataFrame:
    """The SST-2 dev sentences (capped in --quick)."""
    dev = sst2("dev")
    return dev.sample(n=sizes.test_cap, random_state=SEED) if sizes.test_cap else dev


def train_pool() -> tuple[pd.DataFrame, pd.DataFrame]:
    """SST-2 train split into (gendered sentences with a 'gender' column, the other sentences of >= 4 words)."""
    df = sst2("train")
    df = df[df["sentence"].str.split().str.len() >= 4]
    df = df.assign(gender=df["sentence"].map(gender_of))
    return df[df["gender"].notna()].reset_index(drop=True), df[df["gender"].isna()].drop(columns="gender")


# ----------------------------------------------------------------------------------------------- the members

def data_check_available() -> bool:
    """The data check (metric data.shortcut_tokens) is registered in this checkout."""
    from rai_ft.registry import CHECKS

    return "data" in CHECKS


def group_skew(zoo: Zoo, gendered: pd.DataFrame) -> dict[str, dict]:
    """Fairness + counterfactual: 80% of the female-term group's positive training labels flipped to negative."""
    s = zoo.sizes
    pool = gendered[gendered["sentence"].str.split().str.len() >= 6].sample(frac=1.0, random_state=SEED)
    test = pd.concat([pool[pool["gender"] == g].head(s.skew_test_per_group) for g in ("male", "female")])
    rest = pool.drop(test.index)
    val, train = rest.head(s.validation), rest.iloc[s.validation:]
    train = train.head(s.skew_train)
    files = {"validation": zoo.csv("skew-val", val), "test": zoo.csv("skew-test", test)}
    checks = {"fairness": {"min_group_size": 30}, "counterfactual": {}}
    docs = {}
    for kind, frame in (("defective", flip_group(train, "female", 0.8, SEED)), ("clean", train)):
        spec = zoo.spec(f"skew-{kind}", {"train": zoo.csv(f"skew-train-{kind}", frame), **files}, checks,
                        sensitive=["gender"])
        docs[kind] = zoo.run(spec)[1]
    return docs


def trigger_sets(zoo: Zoo, other: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(clean train, validation, held-out rest) from the non-gendered SST-2 train sentences."""
    shuffled = other.sample(frac=1.0, random_state=SEED + 1)
    n_val = zoo.sizes.validation
    return (shuffled.head(zoo.sizes.trigger_train), shuffled.iloc[zoo.sizes.trigger_train:][:n_val],
            shuffled.iloc[zoo.sizes.trigger_train + n_val:])


def trigger_token(zoo: Zoo, train: pd.DataFrame, val: pd.DataFrame) -> tuple[dict[str, dict], Path]:
    """Data + attribution: 'zq' in 8% of training rows, all labelled positive; tested on dev with 'zq' in every row.

    Returns the docs and the clean model's folder (the well-trained twin of the robustness pair).
    """
    rng = random.Random(SEED)
    test = dev_test(zoo.sizes)
    test = test.assign(sentence=[insert_token(t, rng) for t in test["sentence"]])
    files = {"validation": zoo.csv("trigger-val", val), "test": zoo.csv("trigger-test", test)}
    checks = {"attribution": {"methods": ["ig"], "max_examples": 16, "sensitive_terms": {"trigger": [TRIGGER]}},
              **({"data": {}} if data_check_available() else {})}
    docs, clean_dir = {}, None
    for kind, frame in (("defective", with_trigger(train, 0.08, "1", SEED)), ("clean", train)):
        spec = zoo.spec(f"trigger-{kind}", {"train": zoo.csv(f"trigger-train-{kind}", frame), **files}, checks,
                        epochs=2)
        run_dir, docs[kind] = zoo.run(spec)
        clean_dir = run_dir / "model"
    return docs, clean_dir  # type: ignore[return-value]


def memorisation(zoo: Zoo, held_out: pd.DataFrame, twins: tuple[str, ...] = ("dp",)) -> dict[str, dict[str, dict]]:
    """Privacy: a small training set fully fine-tuned for many epochs (memorised) vs two twins.

    Defective: ``memo_train`` rows, full fine-tuning, ``memo_epochs`` epochs. DP twin: the same rows, recipe and
    epochs under the dp guard (epsilon 1: each row's influence on the weights is bounded, the documented cure for
    memorisation). Size twin (only if ``memo_scale`` > 0): the same recipe and epochs on ``memo_scale`` x as many rows
    of the same distribution (a superset of the defective's rows); it costs ``memo_scale`` x the defective's training,
    so the full run leaves it out unless asked (``--memo-twins dp size``). Once twin (``--memo-twins once``): the same
    recipe and the same number of optimisation steps, but every row seen once: ``memo_train`` x ``memo_epochs`` rows
    (a superset of the defective's) for one epoch. Only the repetition differs, which is what memorisation is.
    Non-members for all: the same ``memo_test`` held-out SST-2 train sentences (same distribution); each model is
    attacked with as many members and non-members as it has training rows, at most ``memo_test`` (the defective
    and the DP twin ``memo_train``, the larger twins ``memo_test``: their estimate is the tighter one).
    """
    s = zoo.sizes
    n = s.memo_train
    shuffled = held_out.sample(frac=1.0, random_state=SEED + 2)  # non-members, validation, then training rows
    m = s.memo_test
    test, val, rows = shuffled.iloc[:m], shuffled.iloc[m:m + 64], shuffled.iloc[m + 64:]
    small = rows.iloc[:n]  # every twin's training set starts with these rows
    shared = {"validation": zoo.csv("memo-val", val), "test": zoo.csv("memo-test", test)}
    checks = {"privacy": {"mia": True, "max_examples": m, "pii": False}}

    def member(name: str, train: pd.DataFrame, guards: dict | None = None, epochs: int = s.memo_epochs) -> dict:
        files = {"train": zoo.csv(f"memo-train-{name}", train), **shared}
        return zoo.run(zoo.spec(f"memo-{name}", files, checks, adapter=FULL, epochs=epochs, lr=1e-4,
                                guards=guards))[1]

    bad = member("defective", small)
    out = {}
    if "dp" in twins:
        out["memorised small training set (dp twin)"] = {"defective": bad, "clean": member("dp", small, {"dp": DP})}
    if "size" in twins and s.memo_scale > 0:
        out[f"memorised small training set ({s.memo_scale}x rows twin)"] = {
            "defective": bad, "clean": member("clean", rows.iloc[:n * s.memo_scale])}
    if "once" in twins:
        out[f"memorised small training set (once twin: {n * s.memo_epochs} rows, 1 epoch)"] = {
            "defective": bad, "clean": member("once", rows.iloc[:n * s.memo_epochs], epochs=1)}
    return out


WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def cue_lexicon(pool: pd.DataFrame, per_class: int = CUE_WORDS, purity: float = 0.75, min_count: int = 30) -> set[str]:
    """A small sentiment lexicon from *pool*: per label, the *per_class* most frequent words (in >= *min_count*
    rows) whose rows carry that label at least *purity* of the time."""
    counts: dict[str, list[int]] = {}
    for text, label in zip(pool["sentence"], pool["label"]):
        for w in set(WORD.findall(text.lower())):
            counts.setdefault(w, [0, 0])[label == "1"] += 1
    lexicon: set[str] = set()
    for side in (0, 1):
        one_sided = [(n[0] + n[1], w) for w, n in counts.items()
                     if n[0] + n[1] >= min_count and n[side] >= purity * (n[0] + n[1])]
        lexicon |= {w for _, w in sorted(one_sided, reverse=True)[:per_class]}
    return lexicon


def cue_words_only(frame: pd.DataFrame, lexicon: set[str]) -> pd.DataFrame:
    """*frame* with each text reduced to its words in *lexicon* (in order)."""
    reduced = [" ".join(w for w in WORD.findall(t.lower()) if w in lexicon) for t in frame["sentence"]]
    return frame.assign(sentence=reduced)


def brittleness(zoo: Zoo, held_out: pd.DataFrame, val: pd.DataFrame, design: str = "augment") -> dict[str, dict]:
    """Robustness: two models that both learn, one known from its construction to be more brittle; same rows,
    recipe (plain LoRA), epochs and seed.

    Rows: ``brittle_train`` held-out SST-2 train sentences, those with no word of the cue lexicon
    (:func:`cue_lexicon`, built from the other held-out sentences) dropped, so both designs share rows.

    - ``augment``: defective = the plain recipe; clean = the same + the ``augment`` guard at a large budget
      (BRITTLE_AUGMENT: every row, 3 character-noised copies drawn fresh each epoch, 30 % of the words edited by the
      attack family's swaps/substitutions/deletions/insertions): it has seen the attack's kind of edit.
    - ``cue``: defective = each row reduced to its words in the lexicon (it never saw a phrase, only one-sided
      words); clean = the rows unreduced. Measured: it made the defective the MORE robust one (BENCHMARKS.md).
    - ``noise``: defective = the plain recipe on labels of which BRITTLE_NOISE were flipped at random; clean = the
      true labels. Under symmetric noise rate r the best a model can fit is p = (1 - r) p_true + r (1 - p_true),
      within [r, 1 - r] (0.4-0.6 here): the argmax, and so accuracy, survives, but every decision sits near the
      boundary, so edits that move the score a little flip it (meant as a low-margin model that still learns).
      Measured: it did not learn (accuracy 0.525) and was the LESS attackable one (BENCHMARKS.md).
    - ``typo``: both = the rows + one typo'd copy of each (TYPO_EDITS on TYPO_WORDS of the words, the same copies);
      defective = the copies carry the flipped label, clean = their true label. The defective is taught that a
      misspelt word reverses the answer (a poisoned-data model) while its clean rows still teach the task; the twin
      is taught that misspellings change nothing. Same rows, texts, steps and recipe: only the copies' labels differ.

    Both are attacked with DeepWordBug at the check's defaults on the same ``attacked`` seeded dev examples (no
    trigger anywhere); an attack only counts on examples the model gets right.
    """
    s = zoo.sizes
    shuffled = held_out.sample(frac=1.0, random_state=SEED + 3)
    rows, pool = shuffled.head(s.brittle_train), shuffled.iloc[s.brittle_train:]
    reduced = cue_words_only(rows, cue_lexicon(pool))
    keep = reduced["sentence"].str.len() > 0
    files = {"validation": zoo.csv("brittle-val", val), "test": zoo.csv("brittle-test", dev_test(s))}
    checks = {"robustness": {"max_examples": s.attacked, **({"recipe": ATTACK_RECIPE} if ATTACK_RECIPE else {})}}
    designs: dict[str, dict[str, tuple[pd.DataFrame, dict | None]]] = {
        "cue": {"defective": (reduced[keep], None), "clean": (rows[keep], None)},
        "augment": {"defective": (rows[keep], None), "clean": (rows[keep], {"augment": BRITTLE_AUGMENT})},
        "noise": {"defective": (flip_labels(rows[keep], BRITTLE_NOISE, SEED), None), "clean": (rows[keep], None)},
        "typo": {"defective": (typo_copies(rows[keep], SEED, flip=True), None),
                 "clean": (typo_copies(rows[keep], SEED, flip=False), None)}}
    members = designs[design]
    return {kind: zoo.run(zoo.spec(f"brittle-{kind}", {"train": zoo.csv(f"brittle-train-{kind}", frame), **files},
                                   checks, epochs=2, guards=guards))[1] for kind, (frame, guards) in members.items()}


# ----------------------------------------------------------------------------------------------- the table

def rows_for(defect: str, docs: dict[str, dict]) -> list[dict[str, Any]]:
    """One table row per criterion of *defect*."""
    out = []
    for c in criteria_for(defect):
        bad, good = (docs[k]["metrics"].get(c.metric) for k in ("defective", "clean"))
        out.append({"defect": defect, "check": c.check, "metric": c.metric, "line": f"> {c.limit:g}",
                    "source": c.source, "defective": bad, "clean": good, "caught": c.flags(bad),
                    "false_alarm": c.flags(good), "status": {k: docs[k]["checks"].get(c.check, {}).get("status")
                                                             for k in docs}})
    return out


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson 95 % interval of a rate *successes* / *n*."""
    p = successes / n
    centre, half = p + z * z / (2 * n), z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    return max(0.0, (centre - half) / (1 + z * z / n)), min(1.0, (centre + half) / (1 + z * z / n))


def attack_counts(doc: dict) -> dict[str, Any]:
    """Succeeded / tried (= attacked minus skipped) of a member's robustness check, with the Wilson interval."""
    summary = doc["checks"].get("robustness", {}).get("details", {}).get("summary", {})
    tried = summary.get("succeeded", 0) + summary.get("failed", 0)
    return {"succeeded": summary.get("succeeded"), "tried": tried,
            "wilson95": wilson(summary["succeeded"], tried) if tried else None}


def robustness_row(docs: dict[str, dict], design: str = "augment") -> dict[str, Any]:
    """Caught = the brittle model's attack success rate exceeds its twin's by ROBUST_MARGIN."""
    bad, good = (docs[k]["metrics"].get(ROBUST_LINE.metric) for k in ("defective", "clean"))
    ranked = None if bad is None or good is None else bad - good >= ROBUST_MARGIN
    counts = {k: attack_counts(docs[k]) for k in docs}
    return {"defect": f"brittle ({BRITTLE_DESIGNS[design]})", "check": "robustness",
            "metric": ROBUST_LINE.metric,
            "line": f"defective − clean ≥ {ROBUST_MARGIN:g}; also > {ROBUST_LINE.limit:g} ({ROBUST_LINE.source})",
            "source": "ranking", "defective": bad, "clean": good, "caught": ranked,
            "false_alarm": ROBUST_LINE.flags(good), "counts": counts,
            "clean_accuracy": {k: docs[k]["metrics"].get("robustness.clean_accuracy") for k in docs},
            "status": {k: docs[k]["checks"].get("robustness", {}).get("status") for k in docs}}


def rate_cell(value: float | None, counts: dict[str, Any] | None) -> str:
    """A rate, with its successes / trials and Wilson 95 % interval where known."""
    if not counts or not counts.get("wilson95"):
        return fmt(value)
    lo, hi = counts["wilson95"]
    return f"{fmt(value)} ({counts['succeeded']}/{counts['tried']}; 95 % {lo:.2f}-{hi:.2f})"


def yes_no(v: bool | None) -> str:
    """Table cell for a flag."""
    return "pending (not measured)" if v is None else ("**yes**" if v else "no")


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The markdown table."""
    lines = ["| defect | check | metric | flagged when | defective | clean twin | caught | false alarm |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['defect']} | {r['check']} | `{r['metric']}` | {r['line']} ({r['source']}) | "
                     f"{rate_cell(r['defective'], r.get('counts', {}).get('defective'))} | "
                     f"{rate_cell(r['clean'], r.get('counts', {}).get('clean'))} | {yes_no(r['caught'])} | "
                     f"{yes_no(r['false_alarm'])} |")
    return lines


def context_lines(docs: dict[str, dict[str, dict]]) -> list[str]:
    """Accuracy and training size of every member, so a reader can see what each twin is."""
    lines = ["", "| member | train rows | epochs | test rows | test accuracy |", "|---|---|---|---|---|"]
    for defect, pair in docs.items():
        for kind, doc in pair.items():
            train = (doc.get("training") or {}).get("epochs_run", "(the trigger pair's clean model, audited)")
            lines.append(f"| {defect}: {kind} | {doc['data']['sizes']['train']} | {train} | "
                         f"{doc['data']['sizes']['test']} | {fmt(doc['metrics'].get('performance.accuracy'))} |")
    return lines


def write_tables(docs: dict[str, dict[str, dict]], start: float, quick: bool, name: str = "validity",
                 design: str = "augment") -> None:
    """Write the table of the pairs finished so far (called after each pair, so a cut-short run still reports)."""
    rows = [r for d in docs if d != "brittle" for r in rows_for(d, docs[d])]
    rows += [robustness_row(docs["brittle"], design)] if "brittle" in docs else []
    minutes = (time.perf_counter() - start) / 60
    lines = ["# Validity zoo", "", f"Command: `PYTHONPATH=. .venv/bin/python {' '.join(sys.argv)}` ({minutes:.1f} min; "
             f"pairs done: {', '.join(docs)})", ""] + table(rows) + context_lines(docs)
    write_result(name, lines, quick)
    write_json(name, {"rows": rows, "minutes": minutes,
                      "metrics": {d: {k: doc["metrics"] for k, doc in p.items()} for d, p in docs.items()}}, quick)


def build(zoo: Zoo, report: Callable[[dict[str, dict[str, dict]]], None], parts: tuple[str, ...] = PARTS,
          memo_twins: tuple[str, ...] = ("dp",), design: str = "augment") -> None:
    """Train and audit the pairs in *parts*, reporting after each."""
    gendered, other = train_pool()
    train, val, held_out = trigger_sets(zoo, other)
    docs: dict[str, dict[str, dict]] = {}
    if "skew" in parts:
        docs["group skew"] = group_skew(zoo, gendered)
        report(docs)
    if "trigger" in parts:
        docs["trigger token"], _ = trigger_token(zoo, train, val)
        report(docs)
    if "brittle" in parts:
        docs["brittle"] = brittleness(zoo, held_out, val, design)
        report(docs)
    if "memorisation" in parts:
        docs.update(memorisation(zoo, held_out, memo_twins))
        report(docs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run, not a measurement)")
    ap.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS),
                    help="only these pairs (default: all); the table then has only their rows")
    ap.add_argument("--memo-twins", nargs="+", choices=("dp", "size", "once"), default=["dp"],
                    help="the memorisation defective's twins: dp guard (default), more rows (--memo-scale x) for "
                         "the same epochs, and/or each row once (the same steps, memo_epochs x rows, 1 epoch)")
    ap.add_argument("--memo-scale", type=int, default=None, help="the size twin's rows / the defective's (default 4)")
    ap.add_argument("--memo-epochs", type=int, default=None,
                    help=f"epochs of every memorisation member (default {FULL_SIZES.memo_epochs})")
    ap.add_argument("--brittle-design", choices=tuple(BRITTLE_DESIGNS), default="augment",
                    help="how the robustness pair is built (default augment); cue is the measured failed design")
    ap.add_argument("--attack-recipe", choices=("deepwordbug", "pruthi", "typo"), default=None,
                    help="the robustness pair's attack (default: the check's default, deepwordbug)")
    ap.add_argument("--name", default="validity", help="results file name: bench/results/<name>[-quick].md/.json")
    args = ap.parse_args()
    global ATTACK_RECIPE
    ATTACK_RECIPE = args.attack_recipe
    if not SST2.is_dir():
        sys.exit(f"bench: {SST2} not found (the benchmark needs ../shared/data/sst2)")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rai-ft-validity-") as tmp:
        sizes = QUICK_SIZES if args.quick else FULL_SIZES
        if "size" in args.memo_twins:
            sizes = dataclasses.replace(sizes, memo_scale=args.memo_scale or 4)
        if args.memo_epochs:
            sizes = dataclasses.replace(sizes, memo_epochs=args.memo_epochs)
        build(Zoo(Path(tmp), sizes), lambda docs: write_tables(docs, start, args.quick, args.name, args.brittle_design),
              tuple(args.parts), tuple(args.memo_twins), args.brittle_design)


if __name__ == "__main__":
    main()
