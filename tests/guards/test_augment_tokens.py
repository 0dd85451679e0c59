"""The augment guard on a token classifier: noisy copies keep one word per word and every tag, and a tagger trained
with them loses less entity F1 to typos than its twin trained on exact copies (the entity_robustness check's planted
defect, now fixed by the guard rather than by hand-made copies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rai_ft.guards.augment import MSG_WORD_LEVEL_TASK
from rai_ft.tasks.token_classification.perturb import eligible, noisy_words
from tests.checks.test_entity_robustness import TRANSFORMS, toy_sentences, write_conll
from tests.conftest import write_yaml

SENTENCE = ["yesterday", "alice", "flew", "to", "new", "york", ",", "again"]


def test_noisy_copies_keep_the_word_count_edit_the_share_asked_and_are_fresh_per_draw() -> None:
    rng = np.random.default_rng(0)
    for fraction, expected in ((0.1, 1), (0.5, 4), (1.0, 7)):  # ceil(fraction x 8), at most the 7 eligible words
        new = noisy_words(SENTENCE, TRANSFORMS, fraction, rng)
        changed = [i for i, (a, b) in enumerate(zip(SENTENCE, new)) if a != b]
        assert len(new) == len(SENTENCE) and all(w and " " not in w for w in new)
        assert len(changed) == expected and all(eligible(SENTENCE[i]) for i in changed)
    assert noisy_words(SENTENCE, TRANSFORMS, 0.5, rng) != noisy_words(SENTENCE, TRANSFORMS, 0.5, rng)
    assert noisy_words([",", "1"], TRANSFORMS, 1.0, rng) == [",", "1"]  # nothing eligible: unchanged


def _spec(root: Path, model: Path, guards: dict, data: str = "train.conll") -> Path:
    write_yaml(root / "policy.yaml", {"name": "ner", "guards": guards,
                                      "checks": {"entity_robustness": {"bootstrap": 200}}})
    return write_yaml(root / "spec.yaml", {
        "name": "ner", "task": "token-classification", "data": {"source": data}, "policy": "policy.yaml",
        "model": {"base": str(model), "adapter": {"method": "full"}},
        "train": {"epochs": 4, "batch_size": 16, "learning_rate": 3e-3, "max_length": 32, "seed": 13,
                  "early_stopping": None}})


def _train_and_audit(root: Path, model: Path, train: list, guards: dict, audit_file: Path) -> dict:
    from rai_ft.pipeline import audit, run

    root.mkdir()
    write_conll(root / "train.conll", train)
    run_dir, doc = run(_spec(root, model, guards), root / "out", quiet=True)
    assert doc is not None
    (root / "audit").mkdir()
    (root / "audit" / "data.conll").write_text(audit_file.read_text(encoding="utf-8"), encoding="utf-8")
    _, audited = audit(_spec(root / "audit", model, {}, "data.conll"), run_dir / "model", root / "audits",
                       quiet=True)
    assert audited is not None
    audited["_trained"] = doc
    return audited


def test_a_tagger_trained_with_augment_loses_less_to_typos_than_its_exact_copy_twin(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    # both see 480 sentences per epoch: the same 240 twice (brittle), or the 240 and a fresh typo'd copy of each
    base = toy_sentences(240, seed=0)
    audit_file = write_conll(tmp_path / "audit.conll", toy_sentences(300, seed=100))
    brittle = _train_and_audit(tmp_path / "brittle", tiny_model_dir, base + base, {}, audit_file)
    augmented = _train_and_audit(tmp_path / "augmented", tiny_model_dir, base, {"augment": {
        "fraction": 1.0, "word_fraction": 1.0, "transformations": TRANSFORMS}}, audit_file)
    b, a = brittle["metrics"], augmented["metrics"]
    print({k: (b[k], a[k]) for k in b if k.startswith("robustness.")})  # the swap metrics are None: no unseen names
    n_train = augmented["_trained"]["data"]["sizes"]["train"]
    assert augmented["_trained"]["guards"]["augment"]["summary"]["added_per_epoch"] == [n_train] * 4
    assert a["robustness.entity_f1_clean"] >= 0.95 and b["robustness.entity_f1_clean"] >= 0.95
    assert b["robustness.entity_f1_drop"] - a["robustness.entity_f1_drop"] >= 0.05


def test_word_level_augmentation_is_refused_for_tokens_before_training() -> None:
    from types import SimpleNamespace

    from rai_ft.errors import UnsupportedError
    from rai_ft.guards.augment import AugmentConfig, AugmentGuard
    from rai_ft.tasks.text_classification import TextClassification
    from rai_ft.tasks.token_classification.task import TokenClassification

    # built without validation: where NLTK's WordNet is missing the config itself already refuses word_level
    guard = AugmentGuard(AugmentConfig.model_construct(word_level=["wordnet"]))
    policy = SimpleNamespace(guards={"augment": {}})
    with pytest.raises(UnsupportedError) as err:
        guard.preflight(SimpleNamespace(task=TokenClassification(), policy=policy))  # type: ignore[arg-type]
    assert MSG_WORD_LEVEL_TASK.format(task="token-classification") in str(err.value)
    guard.preflight(SimpleNamespace(task=TextClassification(), policy=policy))  # type: ignore[arg-type]
