"""Entity-level scores: hand-made cases, zero division, per-sentence counts, and agreement with seqeval 1.2.2."""

from __future__ import annotations

import math
import random
import re
import warnings

import numpy as np
import pytest
from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score
from seqeval.metrics import classification_report as seqeval_report
from seqeval.metrics.sequence_labeling import get_entities

from rai_ft.tasks.token_classification.entities import (
    CORRECT,
    MSG_NOT_IOB2,
    MSG_SENTENCE_COUNT,
    MSG_SENTENCE_LENGTH,
    PRED,
    TRUE,
    classification_report,
    entity_scores,
    extract_entities,
    prf,
    sentence_counts,
    type_recall,
)
from rai_ft.tasks.token_classification.wnut17 import load_wnut17

TYPES = ("PER", "LOC", "creative-work")


@pytest.mark.parametrize(("tags", "entities"), [
    (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 2), ("LOC", 3, 4)]),
    (["O", "I-PER", "I-PER"], [("PER", 1, 3)]),  # I- after O starts an entity (conlleval)
    (["I-PER"], [("PER", 0, 1)]),  # ... and so does I- at the sentence start
    (["B-PER", "I-LOC", "I-LOC"], [("PER", 0, 1), ("LOC", 1, 3)]),  # a type change ends one, starts another
    (["B-PER", "B-PER", "I-PER"], [("PER", 0, 1), ("PER", 1, 3)]),
    (["B-creative-work", "I-creative-work"], [("creative-work", 0, 2)]),
    (["O", "O"], []),
    ([], []),
])
def test_extract_entities(tags: list[str], entities: list[tuple[str, int, int]]) -> None:
    assert extract_entities(tags) == entities


@pytest.mark.parametrize("tag", ["E-PER", "S-PER", "PER", "B-"])
def test_tags_that_are_not_iob2_are_refused(tag: str) -> None:
    with pytest.raises(ValueError, match=re.escape(MSG_NOT_IOB2.format(tag=tag))):
        extract_entities(["O", tag])


def test_scores_by_hand() -> None:
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-PER", "O"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-PER", "I-PER"]]  # 1 right, 1 missed, 1 boundary error
    s = entity_scores(true, pred)
    assert (s["n_true"], s["n_pred"], s["n_correct"]) == (3, 2, 1)
    assert s["precision"] == 0.5 and s["recall"] == pytest.approx(1 / 3) and s["f1"] == pytest.approx(0.4)
    assert s["accuracy"] == 4 / 6 and s["n_tokens"] == 6 and s["n_sentences"] == 2
    assert s["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0,
                                    "correct": 0}
    assert s["per_type"]["PER"]["precision"] == 0.5 and s["per_type"]["PER"]["support"] == 2
    assert list(s["report"]) == ["LOC", "PER", "micro avg", "macro avg", "weighted avg"]


def test_zero_division_is_zero_by_default_and_can_be_nan() -> None:
    true, nothing = [["B-PER", "O"]], [["O", "O"]]
    assert entity_scores(true, nothing)["precision"] == 0.0
    assert entity_scores(nothing, true)["recall"] == 0.0
    empty = entity_scores(nothing, nothing)
    assert (empty["precision"], empty["recall"], empty["f1"], empty["accuracy"]) == (0.0, 0.0, 0.0, 1.0)
    assert empty["report"]["macro avg"]["f1-score"] == 0.0 and empty["per_type"] == {}
    undefined = entity_scores(nothing, nothing, zero_division=math.nan)
    assert math.isnan(undefined["precision"]) and math.isnan(undefined["recall"]) and undefined["f1"] == 0.0
    assert entity_scores([], [])["accuracy"] == 0.0


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match=re.escape(MSG_SENTENCE_COUNT.format(true=1, pred=0))):
        entity_scores([["O"]], [])
    with pytest.raises(ValueError, match=re.escape(MSG_SENTENCE_LENGTH.format(index=1, true=1, pred=2))):
        sentence_counts([["O"], ["O"]], [["O"], ["O", "O"]])


def test_sentence_counts_add_up_to_the_micro_scores() -> None:
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-PER", "O"], ["O"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-PER", "I-PER"], ["B-LOC"]]
    counts = sentence_counts(true, pred)
    assert counts.shape == (3, 3) and counts.dtype == np.int64
    assert counts.tolist() == [[2, 1, 1], [1, 1, 0], [0, 1, 0]]
    s = entity_scores(true, pred)
    assert prf(*counts.sum(axis=0)) == (s["precision"], s["recall"], s["f1"])
    per = sentence_counts(true, pred, entity_type="PER")
    assert per[:, TRUE].tolist() == [1, 1, 0] and per[:, PRED].tolist() == [1, 1, 0]
    assert per[:, CORRECT].tolist() == [1, 0, 0]


def test_type_recall_is_restricted_to_the_given_sentences() -> None:
    true = [["B-PER", "O"], ["B-PER", "I-PER"], ["B-LOC", "B-PER"], ["O", "O"]]
    pred = [["B-PER", "O"], ["B-PER", "O"], ["O", "B-PER"], ["B-PER", "O"]]
    assert type_recall(true, pred, "PER") == 2 / 3
    assert type_recall(true, pred, "PER", sentences=[0, 2]) == 1.0
    assert type_recall(true, pred, "PER", sentences=[1]) == 0.0
    assert type_recall(true, pred, "LOC", sentences=[0, 1]) == 0.0  # no true LOC there: zero_division
    assert math.isnan(type_recall(true, pred, "PER", sentences=[3], zero_division=math.nan))
    assert type_recall(true, pred, "PER", sentences=[]) == 0.0


# --- agreement with seqeval ---------------------------------------------------------------------------------

def _random_tags(rng: random.Random, n: int) -> list[str]:
    """Random IOB2-shaped tags: I- after O and type changes happen often."""
    return [rng.choice(["O", "O"] + [f"{p}-{t}" for t in TYPES for p in "BI"]) for _ in range(n)]


def _perturb(rng: random.Random, tags: list[str], rate: float) -> list[str]:
    out = list(tags)
    for i in range(len(out)):
        if rng.random() < rate:
            out[i] = rng.choice(["O", "B-PER", "I-PER", "B-LOC", "I-LOC", f"I-{TYPES[2]}"])
    return out


def _random_case(rng: random.Random) -> tuple[list[list[str]], list[list[str]]]:
    true = [_random_tags(rng, rng.randint(0, 10)) for _ in range(rng.randint(1, 6))]
    mode = rng.random()
    if mode < 0.15:
        pred = [["O"] * len(t) for t in true]  # no prediction at all
    elif mode < 0.6:
        pred = [_perturb(rng, t, 0.2) for t in true]  # close to the truth, so many entities match
    else:
        pred = [_random_tags(rng, len(t)) for t in true]
    return true, pred


def _features(true: list[list[str]], pred: list[list[str]]) -> set[str]:
    found = set()
    for tags in true + pred:
        for prev, tag in zip(["O"] + tags, tags):
            if tag.startswith("I-") and prev == "O":
                found.add("I after O")
            if tag != "O" and prev != "O" and tag[2:] != prev[2:]:
                found.add("type change")
    if all(t == "O" for tags in pred for t in tags):
        found.add("empty prediction")
    return found


def _assert_same_as_seqeval(true: list[list[str]], pred: list[list[str]]) -> None:
    ours = entity_scores(true, pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns on every zero division
        theirs = seqeval_report(true, pred, output_dict=True)
        assert ours["precision"] == precision_score(true, pred)
        assert ours["recall"] == recall_score(true, pred)
        assert ours["f1"] == f1_score(true, pred)
    if ours["n_tokens"]:
        assert ours["accuracy"] == accuracy_score(true, pred)
    if not ours["per_type"]:  # no entity anywhere: seqeval's macro average is NaN, ours is zero_division (0)
        assert math.isnan(theirs["macro avg"]["f1-score"]) and ours["report"]["macro avg"]["f1-score"] == 0.0
        theirs["macro avg"] = ours["report"]["macro avg"]
    assert list(ours["report"]) == list(theirs)
    for name, row in theirs.items():
        assert ours["report"][name] == pytest.approx({k: float(v) for k, v in row.items()}, abs=1e-12), name
    for tags in true + pred:
        assert extract_entities(tags) == [(k, s, e + 1) for k, s, e in get_entities(tags)]


def test_entity_scores_agree_with_seqeval_on_random_sequences() -> None:
    rng = random.Random(20260613)
    seen: set[str] = set()
    for _ in range(1500):
        true, pred = _random_case(rng)
        seen |= _features(true, pred)
        _assert_same_as_seqeval(true, pred)
    assert seen == {"I after O", "type change", "empty prediction"}


def test_entity_scores_agree_with_seqeval_on_wnut17_dev() -> None:
    dev = load_wnut17()[0]["validation"]
    true = [tags for _, tags in dev]
    rng = random.Random(3)
    pred = [_perturb(rng, tags, 0.05) for tags in true]
    for i in range(0, len(pred), 7):  # drop some entities altogether
        pred[i] = ["O"] * len(pred[i])
    ours = entity_scores(true, pred)
    assert 0.3 < ours["f1"] < 0.9 and ours["n_true"] == 836
    _assert_same_as_seqeval(true, pred)
    assert entity_scores(true, true)["f1"] == 1.0


def test_classification_report_is_the_report_of_entity_scores() -> None:
    true, pred = _random_case(random.Random(1))
    assert classification_report(true, pred) == entity_scores(true, pred)["report"]
