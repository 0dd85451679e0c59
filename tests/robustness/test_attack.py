"""The batched engine on a keyword 'model' whose answers are known."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rai_ft.robustness.attack import run_attack
from rai_ft.robustness.recipes import RECIPES


def keyword_model(texts: list[str]) -> np.ndarray:
    """p(positive) = 0.9 when the word 'great' is present intact, else 0.2."""
    p = np.array([0.9 if "great" in t.replace(".", " ").split() else 0.2 for t in texts])
    return np.stack([1 - p, p], axis=1)


TEXTS = ["This movie is great.", "a great and wonderful film", "awful boring thing", "the the the"]
LABELS = [1, 1, 0, 0]


def test_flips_exactly_the_examples_that_depend_on_the_keyword() -> None:
    run = run_attack(TEXTS, LABELS, keyword_model, RECIPES["deepwordbug"], progress=False)
    status = [r.status for r in run.results]
    assert status == ["succeeded", "succeeded", "failed", "failed"]
    for r in run.results[:2]:
        assert r.changed == [r.original_words.index("great")]
        assert r.pred_after == 0 and r.p_true_after == pytest.approx(0.2)
        assert r.perturbed.replace(r.perturbed_words[r.changed[0]], "great") == r.original


def test_already_wrong_examples_are_skipped() -> None:
    run = run_attack(["This movie is great."], [0], keyword_model, RECIPES["deepwordbug"], progress=False)
    assert run.results[0].status == "skipped" and run.results[0].queries == 1


def test_stopwords_and_short_words_are_never_modified() -> None:
    run = run_attack(["the and of great"], [1], keyword_model, RECIPES["pruthi"], progress=False)
    r = run.results[0]
    assert r.status == "succeeded" and r.changed == [3]
    blocked = RECIPES["deepwordbug"].with_overrides(transformations=["swap"])
    run = run_attack(["it is great"], [1], keyword_model, blocked.with_overrides(min_word_length=6), progress=False)
    assert run.results[0].status == "failed" and run.results[0].changed == []


def test_edit_and_word_budgets_are_respected() -> None:
    tight = RECIPES["deepwordbug"].with_overrides(transformations=["swap"], max_edit_distance=1)
    run = run_attack(["This movie is great."], [1], keyword_model, tight, progress=False)
    assert run.results[0].status == "failed"  # a neighbour swap costs 2 Levenshtein edits
    one_word = RECIPES["deepwordbug"].with_overrides(max_words_perturbed=1)
    always = lambda ts: np.tile([0.4, 0.6], (len(ts), 1)) - np.array([[-0.01, 0.01]]) * 0  # noqa: E731
    run = run_attack(["alpha beta gamma delta"], [1], always, one_word, progress=False)
    assert len(run.results[0].changed) <= 1


def test_examples_share_model_calls() -> None:
    texts = TEXTS * 16
    run = run_attack(texts, LABELS * 16, keyword_model, RECIPES["deepwordbug"], progress=False, wave_size=64)
    assert len(run.results) == 64
    # initial + word importance + one call per search round, for all 64 examples together
    assert run.model_calls <= 2 + max(len(t.split()) for t in TEXTS)
    assert run.texts_scored < sum(r.queries for r in run.results)  # identical texts are scored once


def test_results_do_not_depend_on_wave_size() -> None:
    texts = [f"a great story number {i}" for i in range(10)]
    a = run_attack(texts, [1] * 10, keyword_model, RECIPES["deepwordbug"], progress=False, wave_size=3, seed=4)
    b = run_attack(texts, [1] * 10, keyword_model, RECIPES["deepwordbug"], progress=False, wave_size=10, seed=4)
    assert [r.perturbed for r in a.results] == [r.perturbed for r in b.results]


def test_time_budget_stops_cleanly_between_waves() -> None:
    def slow(texts: list[str]) -> np.ndarray:
        time.sleep(0.05)
        return keyword_model(texts)

    run = run_attack(TEXTS * 10, LABELS * 10, slow, RECIPES["deepwordbug"], progress=False, wave_size=4,
                     time_budget=0.3)
    assert run.stopped_by_time_budget
    assert 0 < len(run.results) < 40 and len(run.results) % 4 == 0  # only complete waves are reported
    assert all(r.status in ("succeeded", "failed", "skipped") for r in run.results)


def lying_guide(texts: list[str]) -> np.ndarray:
    """Agrees with keyword_model except that any edit of 'wonderful' looks like a flip to it."""
    out = keyword_model(texts)
    for k, t in enumerate(texts):
        words = t.replace(".", " ").split()
        if "wonderful" not in words and "great" in words and "film" in words:
            out[k] = [0.95, 0.05]
    return out


def test_guided_search_with_a_faithful_guide_changes_nothing() -> None:
    plain = run_attack(TEXTS, LABELS, keyword_model, RECIPES["deepwordbug"], progress=False)
    guided = run_attack(TEXTS, LABELS, keyword_model, RECIPES["deepwordbug"], progress=False,
                        search_predict=keyword_model)
    assert guided.guided and not plain.guided
    assert [(r.status, r.perturbed, r.p_true_after) for r in guided.results] == \
        [(r.status, r.perturbed, r.p_true_after) for r in plain.results]


def test_guided_search_reports_only_what_the_reference_model_confirms() -> None:
    run = run_attack(TEXTS, LABELS, keyword_model, RECIPES["deepwordbug"], progress=False, search_predict=lying_guide)
    assert [r.status for r in run.results] == ["succeeded", "succeeded", "failed", "failed"]
    for r in run.results:
        truth = keyword_model([r.perturbed])[0]
        assert r.p_true_after == pytest.approx(truth[r.label])  # reported probabilities are the reference's
        assert (r.status == "succeeded") == (int(truth.argmax()) != r.label)
    # the guide's false success on "wonderful" was not accepted: the search went on to the key word
    second = run.results[1]
    assert second.original_words.index("great") in second.changed
    assert len(second.changed) == 2
