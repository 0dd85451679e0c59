"""The dp guard on a token classifier: each sentence's gradient is its own, ε is recomputable, ghost clipping is
refused before training, and the memorising recipe of the token privacy test is no longer flagged under DP."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rai_ft.guards.dp import MSG_GHOST_TASK
from tests.checks.test_token_privacy import EPOCHS, LEARNING_RATE, N_TEST, N_TRAIN, N_VAL, _conll, _vocabulary
from tests.conftest import write_yaml


def test_the_per_example_loss_gives_each_sentence_a_gradient_of_its_own() -> None:
    import torch

    from rai_ft.tasks.token_classification.task import TokenClassification

    task, torch_gen = TokenClassification(), torch.Generator().manual_seed(0)
    a = torch.randn(1, 6, 3, generator=torch_gen)
    a_labels = torch.tensor([[-100, 0, 1, 2, -100, -100]])  # three words
    grads = {}
    for other_words in (1, 4):  # the other sentence of the batch: one word or four
        b_labels = torch.full((1, 6), -100)
        b_labels[0, 1:1 + other_words] = 1
        for per_example in (True, False):
            logits = torch.cat([a, torch.randn(1, 6, 3, generator=torch_gen)]).requires_grad_()
            task.loss(logits, torch.cat([a_labels, b_labels]), None, per_example=per_example).backward()
            grads[other_words, per_example] = logits.grad[0].clone()
    assert torch.allclose(grads[1, True], grads[4, True])  # sentence a's gradient ignores b's length
    assert not torch.allclose(grads[1, False], grads[4, False])  # the word-mean loss would leak it
    assert not TokenClassification.loss_takes_criterion


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("ner-dp")
    words, rng = _vocabulary(tiny_model_dir, 0), random.Random(0)
    _conll(root / "train.conll", words, rng, N_TRAIN)
    _conll(root / "validation.conll", words, rng, N_VAL)
    _conll(root / "test.conll", words, rng, N_TEST)
    return root


def _spec(root: Path, model: Path, dp: dict, epochs: int = EPOCHS) -> Path:
    write_yaml(root / "policy.yaml", {
        "name": "ner-dp", "require": ["dp"], "guards": {"dp": dp},
        "checks": {"entity_performance": {"bootstrap": 0}, "privacy": {}},
        "thresholds": [{"metric": "privacy.epsilon", "max": dp.get("target_epsilon", 8.0)}]})
    spec = {"name": "ner-dp", "task": "token-classification", "policy": "policy.yaml",
            "data": {"train": "train.conll", "validation": "validation.conll", "test": "test.conll"},
            "model": {"base": str(model), "adapter": {"method": "full"}},
            "train": {"epochs": epochs, "batch_size": 16, "learning_rate": LEARNING_RATE, "max_length": 32,
                      "seed": 13, "early_stopping": None}}
    return write_yaml(root / "spec.yaml", spec)


def test_the_memorising_recipe_under_dp_has_a_recomputable_epsilon_and_no_membership_signal(
        toy: Path, tiny_model_dir: Path) -> None:
    # the same data, model and 30 epochs that make the token privacy test's memoriser reach MIA AUC > 0.8
    from opacus.accountants import create_accountant

    from rai_ft.pipeline import run

    run_dir, doc = run(_spec(toy, tiny_model_dir, {"target_epsilon": 1.0}), toy / "out", quiet=True)
    assert doc is not None and doc["gate"]["status"] != "fail"
    s = doc["guards"]["dp"]["summary"]
    assert s["steps"] > 0 and s["noise_multiplier"] > 0 and s["frozen_parameters"]
    acct = create_accountant(s["accountant"])
    acct.history = [(s["noise_multiplier"], s["sample_rate"], s["steps"])]
    assert doc["metrics"]["privacy.epsilon"] == pytest.approx(acct.get_epsilon(delta=s["delta"]), rel=1e-6)
    assert doc["metrics"]["privacy.epsilon"] <= 1.0 + 1e-6
    print({k: v for k, v in doc["metrics"].items() if k.startswith("privacy.mia")})
    assert doc["metrics"]["privacy.mia_auc"] < 0.65
    assert "differential privacy</strong>" in (run_dir / "report.html").read_text(encoding="utf-8")


def test_ghost_clipping_is_refused_before_training(toy: Path, tiny_model_dir: Path, capsys) -> None:
    from rai_ft.cli import main

    code = main(["run", str(_spec(toy, tiny_model_dir, {"target_epsilon": 8.0, "clipping": "ghost"}, epochs=1)),
                 "--output", str(toy / "ghost"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert MSG_GHOST_TASK.format(task="token-classification") in err
    assert not (toy / "ghost").exists() or not any((toy / "ghost").rglob("audit.json"))
