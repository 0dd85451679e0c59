"""The ``name_swap`` check: the swap itself, the insufficient-evidence refusal, an exact stub model that misses one
group's names, and the planted defect: a tagger trained to tag black-perceived names O is flagged, its twin is not."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rai_ft.checks.base import AuditContext
from rai_ft.checks.name_swap import (
    GROUPS,
    MSG_GAP,
    MSG_TOO_FEW,
    NameSwapCheck,
    NameSwapConfig,
    group_names,
    swap_names,
)
from rai_ft.data.loading import TEXT, DataBundle
from rai_ft.tasks.token_classification.data import TAGS, TOKENS
from rai_ft.tasks.token_classification.predictions import TokenPredictions
from tests.conftest import SEED, write_yaml

LABELS = ["O", "B-location", "I-location", "B-person", "I-person"]
BLACK = {n for g, names in GROUPS.items() if g.startswith("black_") for n in names}
SURNAMES = ["walsh", "baker", "owens", "price"]
PLACES = ["paris", "london", "berlin", "rome"]


# ---------------------------------------------------------------------------------------------- the swap

def test_every_person_span_becomes_one_name_and_the_other_tags_shift() -> None:
    tokens = ["yesterday", "anna", "maria", "smith", "met", "bob", "in", "new", "york"]
    tags = ["O", "B-person", "I-person", "I-person", "O", "B-person", "O", "B-location", "I-location"]
    new_tokens, new_tags = swap_names(tokens, tags, "person", ("Jamal", "Darnell"))
    assert new_tokens == ["yesterday", "Jamal", "met", "Darnell", "in", "new", "york"]
    assert new_tags == ["O", "B-person", "O", "B-person", "O", "B-location", "I-location"]
    # one name for more spans than names: the names cycle
    assert swap_names(tokens, tags, "person", ("Emily",))[0] == ["yesterday", "Emily", "met", "Emily", "in", "new",
                                                                 "york"]


def test_a_sentence_without_the_type_is_untouched_and_other_types_are_not_swapped() -> None:
    tokens, tags = ["we", "flew", "to", "new", "york"], ["O", "O", "O", "B-location", "I-location"]
    assert swap_names(tokens, tags, "person", ("Emily",)) == (tokens, tags)
    assert swap_names(["kim", "left"], ["B-PER", "O"], "person", ("Emily",)) == (["kim", "left"], ["B-PER", "O"])
    assert swap_names(["kim", "left"], ["B-PER", "O"], "PER", ("Emily",)) == (["Emily", "left"], ["B-PER", "O"])


def test_names_are_keyed_by_seed_and_sentence_and_aligned_across_groups() -> None:
    a, b = group_names("emily flew to rome", 0), group_names("emily flew to rome", 0)
    assert a == b and set(a) == {"white_female", "black_female", "white_male", "black_male"}
    starts = {GROUPS[g].index(names[0]) for g, names in a.items()}
    assert len(starts) == 1  # the same position of every list
    firsts = {group_names(f"sentence {i}", 0)["white_female"][0] for i in range(40)}
    assert len(firsts) > 3  # different sentences get different names


# ---------------------------------------------------------------------------------------------- stub model

class _Stub:
    """A 'tagger' that tags every capitalised word B-person except the names in *missed*."""

    def __init__(self, missed: set[str]) -> None:
        self.missed = missed

    def tags(self, sentences: Sequence[Sequence[str]], **_: Any) -> list[np.ndarray]:
        person = LABELS.index("B-person")
        return [np.array([person if w[:1].isupper() and w not in self.missed else 0 for w in s]) for s in sentences]


def _ctx(n_person: int, predictor: Any, n_other: int = 5) -> AuditContext:
    rows = [(["we", "saw", "anna", "lee", f"on{i}"], ["O", "O", "B-person", "I-person", "O"]) for i in range(n_person)]
    rows += [(["we", "saw", "rome", f"on{i}"], ["O", "O", "B-location", "O"]) for i in range(n_other)]
    test = pd.DataFrame({TOKENS: [t for t, _ in rows], TAGS: [[LABELS.index(x) for x in g] for _, g in rows],
                         TEXT: [" ".join(t) for t, _ in rows]})
    data = DataBundle(train=test, validation=test, test=test, labels=LABELS, positive_index=0, sensitive=[])
    pred = TokenPredictions.from_sentences(test[TAGS].tolist(), [np.eye(len(LABELS))[g] for g in test[TAGS]], LABELS)
    return AuditContext(spec=None, policy=None, predictions=pred, texts=test[TEXT].tolist(),  # type: ignore[arg-type]
                        sensitive=pd.DataFrame(), predictor=predictor, data=data)


def test_too_few_person_sentences_measure_nothing_and_say_so() -> None:
    result = NameSwapCheck(NameSwapConfig()).run(_ctx(19, _Stub(set())))
    assert result.metrics["fairness.name_swap_recall_gap"] is None
    assert result.metrics["fairness.name_swap.black_male.person_recall"] is None
    assert result.metrics["fairness.name_swap_sentences"] == 19.0 and result.metric_ci == {}
    assert [f.message for f in result.findings] == [MSG_TOO_FEW.format(n=19, type="person", min=20)]
    assert result.findings[0].severity == "warn" and result.details["measured"] is False


def test_a_model_blind_to_black_perceived_names_has_a_full_gap_by_race_and_none_by_gender() -> None:
    result = NameSwapCheck(NameSwapConfig(bootstrap=200)).run(_ctx(30, _Stub(BLACK)))
    m, d = result.metrics, result.details
    assert m["fairness.name_swap_recall_gap"] == 1.0 and m["fairness.name_swap_sentences"] == 30.0
    assert m["fairness.name_swap.white_female.person_recall"] == 1.0
    assert m["fairness.name_swap.black_female.person_recall"] == 0.0
    assert d["race"]["gap"] == 1.0 and d["gender"]["gap"] == 0.0 and d["n_variants"] == 120
    assert d["groups"]["black_male"] == {"recall": 0.0, "n_entities": 30, "n_found": 0}
    assert result.metric_ci["fairness.name_swap_recall_gap"] == [1.0, 1.0]
    assert [f.message for f in result.findings] == [MSG_GAP.format(
        type="person", gap=1.0, low="black_female", low_recall=0.0, high="white_female", high_recall=1.0,
        warn_gap=0.05)]
    fair = NameSwapCheck(NameSwapConfig(bootstrap=200)).run(_ctx(30, _Stub(set())))
    assert fair.metrics["fairness.name_swap_recall_gap"] == 0.0 and not fair.findings


def test_a_model_that_finds_no_person_in_any_group_measures_nothing_and_says_so() -> None:
    # equal recall of 0 in every group is no evidence of fairness: the gap must not pass a gate as 0
    from rai_ft.checks.name_swap import MSG_NONE_FOUND

    class Blind:
        def tags(self, sentences: Sequence[Sequence[str]], **_: Any) -> list[np.ndarray]:
            return [np.zeros(len(s), dtype=np.int64) for s in sentences]

    result = NameSwapCheck(NameSwapConfig(bootstrap=50)).run(_ctx(30, Blind()))
    assert result.metrics["fairness.name_swap_recall_gap"] is None and result.metric_ci == {}
    assert result.metrics["fairness.name_swap.white_male.person_recall"] is None
    assert [f.message for f in result.findings] == [MSG_NONE_FOUND.format(type="person", n=30)]
    assert result.details["measured"] is False


# ---------------------------------------------------------------------------------------------- planted defect

def names_conll(path: Path, n: int = 320, seed: int = 0, drop_black: bool = False) -> Path:
    """Sentences naming one person (a first name from the name table, a third with a surname) and a place;
    *drop_black* tags every black-perceived name O (the planted defect)."""
    rng = random.Random(seed)
    every = [name for names in GROUPS.values() for name in names]
    lines = []
    for i in range(n):
        first = every[i % len(every)]
        person = [first, rng.choice(SURNAMES)] if rng.random() < 0.33 else [first]
        ptags = ["O"] * len(person) if drop_black and first in BLACK else ["B-person"] + ["I-person"] * (
            len(person) - 1)
        loc = rng.choice(PLACES)
        words, tags = [[["yesterday", *person, "flew", "to", loc], ["O", *ptags, "O", "O", "B-location"]],
                       [[*person, "likes", loc, "a", "lot"], [*ptags, "O", "B-location", "O", "O"]],
                       [["we", "met", *person, "in", loc], ["O", "O", *ptags, "O", "B-location"]]][i % 3]
        lines += [f"{w}\t{t}" for w, t in zip(words, tags)] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _spec(root: Path, model: Path, data: str) -> Path:
    policy = {"name": "ner", "checks": {"entity_performance": {"bootstrap": 0}, "name_swap": {"bootstrap": 300}}}
    write_yaml(root / "policy.yaml", policy)
    spec = {"name": "ner", "task": "token-classification", "data": {"source": data}, "policy": "policy.yaml",
            "model": {"base": str(model), "adapter": {"method": "full"}},
            "train": {"epochs": 6, "batch_size": 16, "learning_rate": 3e-3, "max_length": 32, "seed": SEED,
                      "early_stopping": None}}
    return write_yaml(root / "spec.yaml", spec)


def test_a_tagger_blind_to_black_perceived_names_is_flagged_and_its_twin_is_not(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    from rai_ft.pipeline import audit, run

    names_conll(tmp_path / "clean.conll")
    names_conll(tmp_path / "blind.conll", drop_black=True)
    clean_dir, clean = run(_spec(tmp_path, tiny_model_dir, "clean.conll"), tmp_path / "out", quiet=True)
    blind_dir, _ = run(_spec(tmp_path, tiny_model_dir, "blind.conll"), tmp_path / "out", quiet=True)
    # both audited on the same test sentences (the clean file: the split depends only on the sentence count)
    _, blind = audit(_spec(tmp_path, tiny_model_dir, "clean.conll"), blind_dir / "model", tmp_path / "audits",
                     quiet=True)
    assert clean is not None and blind is not None
    gaps = {k: d["metrics"]["fairness.name_swap_recall_gap"] for k, d in (("clean", clean), ("blind", blind))}
    print("name_swap recall gap:", gaps, "blind per group:",
          {g: blind["metrics"][f"fairness.name_swap.{g}.person_recall"] for g in GROUPS})
    assert gaps["blind"] > 0.5 and gaps["clean"] < 0.1
    assert blind["checks"]["name_swap"]["details"]["race"]["gap"] > 0.5
    assert blind["metrics"]["fairness.name_swap.black_male.person_recall"] < 0.5
    assert any("across name groups" in f["message"] for f in blind["findings"])
    assert not any("across name groups" in f["message"] for f in clean["findings"])
    lo, hi = blind["metric_ci"]["fairness.name_swap_recall_gap"]
    assert lo <= gaps["blind"] <= hi and lo > 0.3
    html = (clean_dir / "report.html").read_text(encoding="utf-8")
    assert "Fairness: names swapped into person entities" in html and "Bertrand &amp; Mullainathan" in html
    card = (clean_dir / "model_card.md").read_text(encoding="utf-8")
    gap = clean["metrics"]["fairness.name_swap_recall_gap"]
    assert f"gap (max − min) {gap:.4g}" in card and "No fairness audit was possible" not in card


@pytest.mark.parametrize("metric", ["fairness.name_swap_recall_gap", "fairness.name_swap.black_female.person_recall",
                                    "fairness.name_swap_sentences"])
def test_its_metrics_are_known_and_turn_the_check_on(metric: str) -> None:
    from rai_ft.config.policy import Policy
    from rai_ft.registry import checks_to_run, producer_of

    assert producer_of(metric) == "name_swap"
    policy = Policy.model_validate({"name": "p", "thresholds": [{"metric": metric, "max": 0.1}]})
    assert checks_to_run(policy, "token-classification") == ["entity_performance", "privacy", "name_swap"]
    assert "name_swap" not in checks_to_run(Policy.model_validate({"name": "p"}), "token-classification")
