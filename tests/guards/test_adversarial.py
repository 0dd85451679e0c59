"""Adversarial training and augmentation: they lower the attack's success, and refuse what they cannot do."""

from __future__ import annotations

import pytest

from rai_ft.errors import SpecError
from rai_ft.guards.adversarial import MSG_NO_DP_DATA_GUARD
from rai_ft.guards.augment import MSG_WORDNET_MISSING
from rai_ft.robustness.noise import perturb
from rai_ft.pipeline import run
from tests.conftest import SEED, make_sentiment_frame, spec_dict, write_yaml

# lr 5e-3 (the earlier setting) made this tiny model's full fine-tuning collapse to a constant predictor mid-training
# on some seeds, so the effect held only on lucky trajectories; at 1e-3 every seed and thread count shows it.
TRAIN = {"epochs": 16, "batch_size": 16, "learning_rate": 1e-3, "max_length": 32, "seed": SEED, "early_stopping": None}


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_adversarial_training_lowers_the_success_of_the_same_attack(tmp_path, tiny_model_dir, offset) -> None:
    csv = tmp_path / "s.csv"
    make_sentiment_frame(400).to_csv(csv, index=False)
    policy = write_yaml(tmp_path / "p.yaml", {
        "name": "adv", "guards": {"adversarial": {"clean_epochs": 2, "fraction": 1.0, "baseline": True}},
        "checks": {"robustness": {"max_examples": 100}, "fairness": {"min_group_size": 5}},
        "thresholds": [{"metric": "robustness.attack_success_rate", "max": 0.3}]})
    spec = write_yaml(tmp_path / "spec.yaml",
                      spec_dict(tiny_model_dir, csv, policy, train={**TRAIN, "seed": SEED + offset}))
    out, doc = run(spec, tmp_path / "reports", quiet=True)
    rob = doc["checks"]["robustness"]["details"]
    after, before = rob["summary"], rob["comparison"]["summary"]
    assert before["attacked"] == after["attacked"] == 100  # same examples, same recipe
    assert after["clean_accuracy"] >= 0.95 and before["clean_accuracy"] >= 0.95
    assert after["attack_success_rate"] < before["attack_success_rate"] - 0.3
    assert after["accuracy_under_attack"] > before["accuracy_under_attack"] + 0.3
    assert doc["metrics"]["robustness.attack_success_rate_reduction"] > 0.3
    assert doc["metrics"]["robustness.baseline_attack_success_rate"] > 0.3  # the baseline would fail this gate
    assert doc["gate"]["status"] == "pass"
    rounds = doc["guards"]["adversarial"]["summary"]["rounds"]
    assert [r["after_epoch"] for r in rounds] == list(range(2, 16))
    assert doc["metrics"]["adversarial.examples_added"] == sum(r["added"] for r in rounds) > 0
    assert doc["training"]["baseline"]["epochs_run"] == 16
    assert "Before (baseline" in (out / "report.html").read_text(encoding="utf-8")


def test_rounds_on_a_collapsed_model_are_a_warning() -> None:
    from rai_ft.guards.adversarial import MSG_COLLAPSED, AdversarialConfig, AdversarialGuard

    guard = AdversarialGuard(AdversarialConfig())
    guard.rounds = [{"after_epoch": e, "clean_accuracy": acc, "attack_success_rate": None if acc <= 0.5 else 0.4}
                    for e, acc in ((2, 0.93), (3, 0.5), (4, 0.31))]
    warned = [f for f in guard.findings() if f.severity == "warn"]
    assert [f.message for f in warned] == [MSG_COLLAPSED.format(epochs="3, 4", chance=0.5)]
    guard.rounds = guard.rounds[:1]
    assert not [f for f in guard.findings() if f.severity == "warn"]


@pytest.mark.parametrize("guard", ["adversarial", "augment"])
def test_data_changing_guards_refuse_dp(tmp_path, tiny_model_dir, sentiment_csv, guard) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {"name": "x", "guards": {guard: {}, "dp": {"target_epsilon": 8}}})
    spec = write_yaml(tmp_path / "spec.yaml", spec_dict(tiny_model_dir, sentiment_csv, policy))
    with pytest.raises(SpecError, match="cannot be combined with dp"):
        run(spec, tmp_path / "reports", quiet=True)
    assert MSG_NO_DP_DATA_GUARD.format(name=guard).startswith(f"guard '{guard}'")
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_no_attack_round_is_a_warning(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {"name": "x", "guards": {"adversarial": {"clean_epochs": 5}},
                                              "checks": {"robustness": {"max_examples": 5}}})
    spec = spec_dict(tiny_model_dir, sentiment_csv, policy)
    spec["train"]["epochs"] = 5  # = clean_epochs: no attack round can run
    _, doc = run(write_yaml(tmp_path / "spec.yaml", spec), tmp_path / "reports", quiet=True)
    assert any(f["source"] == "adversarial" and f["severity"] == "warn" for f in doc["findings"])
    assert doc["checks"]["robustness"]["status"] == "ok"  # implied by the guard


def test_augment_adds_fresh_noisy_copies_each_epoch(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {"name": "x", "guards": {"augment": {"fraction": 0.5, "copies": 2}}})
    spec = write_yaml(tmp_path / "spec.yaml", spec_dict(tiny_model_dir, sentiment_csv, policy))
    _, doc = run(spec, tmp_path / "reports", quiet=True)
    n_train = doc["data"]["sizes"]["train"]
    added = doc["guards"]["augment"]["summary"]["added_per_epoch"]
    assert added == [2 * -(-n_train // 2)] * doc["training"]["epochs_run"]
    assert [h["extra_examples"] for h in doc["training"]["history"]] == added


def test_perturb_edits_the_requested_share_of_words() -> None:
    import numpy as np

    text = "the wonderful film had a superb ending and excellent music"
    out = perturb(text, ["swap", "delete"], 0.3, np.random.default_rng(0))
    changed = [a for a, b in zip(text.split(), out.split()) if a != b]
    assert 1 <= len(changed) <= 3 and all(w not in {"the", "a", "and"} for w in changed)
    assert perturb("the a and", ["swap"], 0.5, np.random.default_rng(0)) == "the a and"


def test_wordnet_augmentation_refused_without_the_corpus(tmp_path) -> None:
    from rai_ft.validation import load_policy

    path = write_yaml(tmp_path / "p.yaml", {"name": "x", "guards": {"augment": {"word_level": ["wordnet"]}}})
    try:
        import nltk

        nltk.data.find("corpora/wordnet")
        pytest.skip("WordNet is installed here")
    except LookupError:
        pass
    with pytest.raises(SpecError, match="wordnet needs the NLTK WordNet corpus"):
        load_policy(path)
    assert "offline" in MSG_WORDNET_MISSING
