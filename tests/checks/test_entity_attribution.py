"""Check ``entity_attribution``: IG on one word's tag is complete and position-true, entities are sampled by kind,
and a tagger that decides person vs location by a gendered pronoun is flagged while its twin that decides by the
verb is not."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rai_ft.checks.entity_attribution import MSG_NO_ENTITY, EntityAttributionCheck, entity_candidates
from tests.checks.test_entity_robustness import write_conll
from tests.conftest import write_yaml

LABELS = ["O", "B-person", "I-person", "B-location", "I-location"]
# words that are a person's name or a place's (uncased): the word alone cannot tell the type
EPOCHS = 16
AMBIGUOUS = ["jordan", "paris", "austin", "georgia", "florence", "victoria", "sydney", "chelsea", "camden", "tyler"]


def test_candidates_are_found_spurious_and_missed_entities() -> None:
    gold = [["B-person", "O", "B-location", "I-location"], ["O", "O"]]
    found = [["B-person", "O", "B-person", "O"], ["B-location", "O"]]
    assert entity_candidates(gold, found) == [
        (0, "person", 0, 1, "found"), (0, "person", 2, 3, "spurious"), (0, "location", 2, 4, "missed"),
        (1, "location", 0, 1, "spurious")]


@pytest.fixture(scope="module")
def tiny_tagger(tiny_model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    from rai_ft.modeling.loading import load_classifier
    from rai_ft.tasks.token_classification.predictor import TokenPredictor

    model = load_classifier(str(tiny_model_dir), LABELS, None, False, head="token")
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    return TokenPredictor(model, tokenizer, LABELS, max_length=32)


def test_word_scores_sum_to_the_change_in_the_explained_tag_probability(tiny_tagger: Any) -> None:
    import torch

    from rai_ft.tasks.token_classification.align import encode, first_pieces
    from rai_ft.tasks.token_classification.explain import TokenIntegratedGradients

    words = ["yesterday", "sydneyharbourbridge", "flew", "to", "camden"]  # the second word is several pieces
    ig = TokenIntegratedGradients(tiny_tagger, n_steps=200)
    enc = encode(tiny_tagger.tokenizer, [words], None, 32)
    ids = torch.tensor(enc.columns["input_ids"])
    base = torch.where(torch.tensor([[w is None for w in enc.word_ids[0]]]), ids,
                       torch.full_like(ids, tiny_tagger.tokenizer.pad_token_id))
    for index, tag in ((1, 1), (4, 3)):
        scores, delta = ig.explain(words, index, tag)
        pos = int(first_pieces(enc.word_ids[0], len(words))[index])
        with torch.no_grad():
            f = [float(tiny_tagger.piece_proba(input_ids=x, attention_mask=torch.ones_like(x))[0, pos, tag])
                 for x in (ids, base)]
        assert len(scores) == len(words) and delta < 0.01
        assert scores.sum() == pytest.approx(f[0] - f[1], abs=0.01)
    assert not np.allclose(ig.explain(words, 1, 1)[0], ig.explain(words, 4, 1)[0])  # the position matters


def _sentence(rng: random.Random, cue: str) -> list[tuple[str, str]]:
    """One sentence with one ambiguous name; its type is given by the pronoun ('pronoun') or the verb ('verb')."""
    person = rng.random() < 0.5
    pronoun = rng.choice(["she", "he"]) if (person if cue == "pronoun" else rng.random() < 0.5) else \
        rng.choice(["there", "again"])
    verb = ("met" if person else "visited") if cue == "verb" else rng.choice(["met", "visited"])
    name, tag = rng.choice(AMBIGUOUS), "B-person" if person else "B-location"
    return [("yesterday", "O"), ("we", "O"), (verb, "O"), (name, tag), ("and", "O"), (pronoun, "O"),
            ("smiled", "O")]


def _run(root: Path, model: Path, cue: str) -> dict[str, Any]:
    from rai_ft.pipeline import run

    rng = random.Random(0)
    root.mkdir()
    write_conll(root / "data.conll", [_sentence(rng, cue) for _ in range(600)])
    write_yaml(root / "policy.yaml", {"name": "ner", "checks": {"entity_attribution": {"max_entities": 24}}})
    spec = write_yaml(root / "spec.yaml", {
        "name": "ner", "task": "token-classification", "data": {"source": "data.conll"}, "policy": "policy.yaml",
        "model": {"base": str(model), "adapter": {"method": "full"}},
        "train": {"epochs": EPOCHS, "batch_size": 16, "learning_rate": 3e-3, "max_length": 32, "seed": 13,
                  "early_stopping": None}})
    run_dir, doc = run(spec, root / "out", quiet=True)
    assert doc is not None
    doc["_html"] = (run_dir / "report.html").read_text(encoding="utf-8")
    doc["_card"] = (run_dir / "model_card.md").read_text(encoding="utf-8")
    return doc


def test_a_tagger_that_types_names_by_pronoun_is_flagged_and_its_verb_twin_is_not(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    # planted defect: the names are ambiguous, so the type must come from context. The defective data type a name
    # by the pronoun next to it ("she"/"he" = person); the twin's by the verb ("met" = person), with the pronouns
    # still there at random. Both learn their rule; only the first leans on identity terms. Seen locally (data
    # seeds 0, 3, 4 at 16 epochs): gender share 0.503, 0.425, 0.491 vs twin 0.00002, 0.0004, 0.001; at 10 epochs
    # seed 3's tagger had not learned its rule yet (entity F1 0.54), hence 16.
    biased, clean = _run(tmp_path / "biased", tiny_model_dir, "pronoun"), _run(tmp_path / "clean", tiny_model_dir,
                                                                               "verb")
    for doc in (biased, clean):
        assert doc["metrics"]["performance.entity_f1"] >= 0.9
        assert doc["metrics"]["explainability.entities_explained"] == 24
        assert doc["metrics"]["explainability.entity_context_share"] > 0.2  # the name alone cannot type it
    b, c = (d["metrics"]["explainability.gender.entity_sensitive_token_share"] for d in (biased, clean))
    print({"biased": b, "clean": c})
    assert b > 0.10 >= c and b - c >= 0.08
    assert any("identity terms" in f["message"] for f in biased["findings"])
    assert not any("identity terms" in f["message"] for f in clean["findings"])
    html = biased["_html"]
    assert "Why the tagger finds an entity" in html and "Check: entity_attribution" not in html
    assert html.count('class="example"') == 8
    share = biased["metrics"]["explainability.entity_context_share"]
    assert f"words outside the entity {share:.4g}" in biased["_card"]  # the card states it, from audit.json


def test_no_entity_at_all_measures_nothing_and_says_so() -> None:
    import pandas as pd

    from rai_ft.checks.base import AuditContext
    from rai_ft.checks.entity_attribution import EntityAttributionConfig
    from rai_ft.data.loading import DataBundle
    from rai_ft.tasks.token_classification.data import TAGS, TOKENS
    from rai_ft.tasks.token_classification.predictions import TokenPredictions

    words = [["hello", "there"]]
    test = pd.DataFrame({TOKENS: words, TAGS: [[0, 0]]})
    data = DataBundle(train=test, validation=test, test=test, labels=LABELS, positive_index=0, sensitive=[])
    preds = TokenPredictions.from_sentences([[0, 0]], [np.tile([1.0, 0, 0, 0, 0], (2, 1))], LABELS)
    ctx = AuditContext(spec=None, policy=None, predictions=preds, texts=[], sensitive=pd.DataFrame(),  # type: ignore[arg-type]
                       predictor=object(), data=data)
    result = EntityAttributionCheck(EntityAttributionConfig()).run(ctx)
    assert result.metrics and all(v is None for v in result.metrics.values())
    assert [f.message for f in result.findings] == [MSG_NO_ENTITY]


@pytest.mark.parametrize("metric", ["explainability.entity_sensitive_token_share",
                                    "explainability.gender.entity_sensitive_token_share",
                                    "explainability.entity_context_share", "explainability.entities_explained"])
def test_its_metrics_are_known_and_turn_the_check_on(metric: str) -> None:
    from rai_ft.config.policy import Policy
    from rai_ft.registry import checks_to_run, producer_of

    assert producer_of(metric) == "entity_attribution"
    policy = Policy.model_validate({"name": "p", "thresholds": [{"metric": metric, "max": 0.1}]})
    assert checks_to_run(policy, "token-classification") == ["entity_performance", "privacy", "entity_attribution"]
    assert "entity_attribution" not in checks_to_run(Policy.model_validate({"name": "p"}), "token-classification")
