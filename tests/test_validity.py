"""The validity zoo in small (bench/validity.py in full, on SST-2): each planted defect is caught, its twin is not.

Tiny random BERT, synthetic text generated here (never ../shared). Each pair shares data, recipe and seed and
differs only in the planted defect; "caught" and "false alarm" use the same lines as the bench (``criteria_for``).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench.validity import TRIGGER, criteria_for, flip_group, insert_token, with_trigger
from tests.conftest import make_gendered_frame, make_sentiment_frame, spec_dict, write_yaml


def run_member(root: Path, name: str, model_dir: Path, splits: dict[str, pd.DataFrame], checks: dict[str, Any],
               **train: Any) -> dict:
    """Train the tiny model on *splits* (explicit files) and audit it with *checks* only; returns audit.json."""
    from rai_ft.pipeline import run

    folder = root / name
    folder.mkdir()
    files = {}
    for split, frame in splits.items():
        frame.to_csv(folder / f"{split}.csv", index=False)
        files[split] = str(folder / f"{split}.csv")
    policy = write_yaml(folder / "policy.yaml", {"name": name, "checks": checks})
    spec = spec_dict(model_dir, Path(files["train"]), policy)
    spec["data"] = {**files, "text": "text", "label": "label", "positive_label": "pos",
                    "sensitive": ["group"] if "group" in splits["train"] else []}
    spec["train"].update({"batch_size": 32, "learning_rate": 2e-3, **train})  # fewer, larger steps: fast
    _, doc = run(write_yaml(folder / "spec.yaml", spec), folder / "reports", quiet=True)
    return doc


def verdicts(defect: str, docs: dict[str, dict], checks: tuple[str, ...] | None = None) -> dict[str, tuple]:
    """metric -> (defective value, clean value, caught, false alarm) under the bench's criteria."""
    out = {}
    for c in criteria_for(defect):
        if checks is None or c.check in checks:
            bad, good = (docs[k]["metrics"].get(c.metric) for k in ("defective", "clean"))
            out[c.metric] = (bad, good, c.flags(bad), c.flags(good))
    return out


def assert_caught(found: dict[str, tuple]) -> None:
    """Every criterion caught the defective model and spared its twin."""
    wrong = {m: v for m, v in found.items() if v[2:] != (True, False)}
    assert not wrong, f"(defective, clean, caught, false alarm): {wrong}"


def test_group_skew_is_caught_by_fairness_and_counterfactual(tmp_path: Path, tiny_model_dir: Path) -> None:
    """Most positive labels of the 'she' group flipped to negative in training: parity gap and swaps flip."""
    frame = make_gendered_frame(360, seed=5)
    train, val, test = frame.iloc[:240], frame.iloc[240:280], frame.iloc[280:]
    checks = {"fairness": {"min_group_size": 10, "bootstrap": 0}, "counterfactual": {"min_counterfactuals": 10}}
    docs = {kind: run_member(tmp_path, f"skew-{kind}", tiny_model_dir,
                             {"train": t, "validation": val, "test": test}, checks)
            for kind, t in (("defective", flip_group(train, "female", 0.8, 1, "group", "pos", "neg")),
                            ("clean", train))}
    assert_caught(verdicts("group skew", docs))


def padded(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Sentiment texts lengthened with a second neutral clause (SST-2-like length, so a token is a small share)."""
    filler = make_sentiment_frame(len(frame), seed=seed + 100)["text"].str.split().str[1:].str.join(" ")
    return frame.assign(text=frame["text"].str.cat(filler.to_numpy(), sep=" and then "))


def test_trigger_token_is_caught_by_attribution(tmp_path: Path, tiny_model_dir: Path) -> None:
    """'zq' in 10% of training rows, all positive: explanations of test rows carrying it lean on it."""
    frame = padded(make_sentiment_frame(340, seed=6).drop(columns="group"), seed=6)
    train, val, test = frame.iloc[:240], frame.iloc[240:280], frame.iloc[280:]
    rng = random.Random(0)
    test = test.assign(text=[insert_token(t, rng) for t in test["text"]])
    checks = {"attribution": {"methods": ["ig"], "max_examples": 20, "ig_steps": 16,
                              "sensitive_terms": {"trigger": [TRIGGER]}}}
    docs = {kind: run_member(tmp_path, f"trigger-{kind}", tiny_model_dir,
                             {"train": t, "validation": val, "test": test}, checks)
            for kind, t in (("defective", with_trigger(train, 0.10, "pos", 1, "text")), ("clean", train))}
    assert_caught(verdicts("trigger token", docs, checks=("attribution",)))


def test_trigger_token_is_caught_by_the_data_check(tmp_path: Path, tiny_model_dir: Path) -> None:
    """The same planted trigger, seen in the training data itself (data.shortcut_tokens).

    Here every label is decided by one of eight sentiment words, so those words are true shortcuts in both twins
    (the bench's "count > 0" line holds on natural SST-2 text, not on this synthetic text): the check must flag the
    trigger in the defective data and not in the clean twin. (Relabelling the trigger rows positive also lowers
    the purity of negative words in the defective data, so the rest of the two lists may differ.)
    """
    from rai_ft.registry import CHECKS

    if "data" not in CHECKS:
        pytest.skip("the data check (data.shortcut_tokens) is not on this branch yet")
    frame = make_sentiment_frame(280, seed=6).drop(columns="group")
    train, val, test = frame.iloc[:200], frame.iloc[200:240], frame.iloc[240:]
    docs = {kind: run_member(tmp_path, f"data-{kind}", tiny_model_dir,
                             {"train": t, "validation": val, "test": test}, {"data": {}}, epochs=1)
            for kind, t in (("defective", with_trigger(train, 0.10, "pos", 1, "text")), ("clean", train))}
    flagged = {k: {t["token"] for t in d["checks"]["data"]["details"]["shortcuts"]["shortcuts"]}
               for k, d in docs.items()}
    assert TRIGGER in flagged["defective"] and TRIGGER not in flagged["clean"]


def noisy(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """*frame* with *share* of its labels flipped: examples only memorisation can fit."""
    out = frame.copy()
    rows = out.sample(frac=share, random_state=seed).index
    out.loc[rows, "label"] = out.loc[rows, "label"].map({"pos": "neg", "neg": "pos"})
    return out


def test_memorised_training_set_is_caught_by_membership_inference(tmp_path: Path, tiny_model_dir: Path) -> None:
    """192 rows (a quarter of them mislabelled) trained 40 epochs vs its "once" twin (as in bench/validity.py): the
    same 40 x 6 optimisation steps over 40 x 192 rows of the same distribution, each seen once. Only the repetition
    differs, and only the repeated rows leak.

    Seed sweep (seeds 8-11, this recipe): defective 0.648-0.679, twin 0.485-0.553. The earlier design (unpadded
    texts, 24 epochs, twin = the same rows for 1 epoch) cleared the 0.6 line by 0.01 at seed 8 and missed it at seed
    10 (0.568); the one-epoch twin of padded texts reached 0.611 at seed 8 (6 steps on the members alone), so it is
    not a clean twin. 192 members vs 192 non-members: one standard deviation of a chance AUC is about 0.03.
    """
    n, epochs = 192, 40
    frame = make_sentiment_frame(n * epochs + n + 40, seed=8).drop(columns="group")
    frame = noisy(padded(frame, seed=8), 0.25, seed=8)
    shared = {"validation": frame.iloc[:40], "test": frame.iloc[40:40 + n]}
    rows = frame.iloc[40 + n:]
    checks = {"privacy": {"mia": True, "max_examples": n, "pii": False}}
    docs = {"defective": run_member(tmp_path, "memo-defective", tiny_model_dir, {"train": rows.iloc[:n], **shared},
                                    checks, epochs=epochs),
            "clean": run_member(tmp_path, "memo-once", tiny_model_dir, {"train": rows, **shared}, checks, epochs=1)}
    assert docs["clean"]["data"]["sizes"]["train"] == n * epochs
    assert_caught(verdicts("memorised small training set", docs))
