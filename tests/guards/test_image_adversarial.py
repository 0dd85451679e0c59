"""The image_adversarial guard: every attacked image stays in the L∞ ball and keeps its label; a model trained with
it withstands the same PGD attack that breaks its baseline twin (trained in the same run, attacked on the same
images with the same draws); dp is refused; a run with no attacked batch says so."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from rai_ft.errors import SpecError
from rai_ft.guards.adversarial import MSG_NO_DP_DATA_GUARD
from rai_ft.guards.image_adversarial import MSG_NO_ROUND, ImageAdversarialConfig, ImageAdversarialGuard
from rai_ft.modeling.predictor import Predictor
from rai_ft.modeling.vision.classifier import ImageClassifier, ImageConfig
from rai_ft.modeling.vision.processor import ImageProcessor
from rai_ft.pipeline import run
from tests.conftest import SEED, write_yaml
from tests.tasks.image_classification.images import image_folder, small_cnn_base

EPS = 0.1


def _ctx(model: torch.nn.Module) -> SimpleNamespace:
    processor = ImageProcessor(16, channels=3)
    return SimpleNamespace(model=model, tokenizer=processor,
                           predictor=lambda: Predictor(model, processor, ["a", "b"]))


@pytest.mark.parametrize("attack", ["pgd", "fgsm"])
def test_attacked_images_stay_in_the_ball_and_only_the_asked_share_changes(attack: str) -> None:
    torch.manual_seed(0)
    model = ImageClassifier(ImageConfig("small-cnn", 16, 3, {0: "a", 1: "b"}))
    model.train()
    ctx = _ctx(model)
    x01 = torch.rand(8, 3, 16, 16)
    batch = {"pixel_values": ctx.tokenizer.standardise(x01), "labels": torch.tensor([0, 1] * 4),
             "weights": torch.ones(8)}
    guard = ImageAdversarialGuard(ImageAdversarialConfig(attack=attack, epsilon=EPS, fraction=0.5))
    guard.on_epoch_start(1, ctx)  # type: ignore[arg-type]
    out = guard.transform_batch(batch, ctx)  # type: ignore[arg-type]
    back = (out["pixel_values"] * 0.5 + 0.5)
    moved = (back - x01).abs().amax(dim=(1, 2, 3))
    assert bool((moved[:4] > EPS / 2).all()) and bool((moved[:4] <= EPS + 1e-5).all())
    assert bool((moved[4:] < 1e-6).all())
    assert torch.equal(out["labels"], batch["labels"]) and torch.equal(out["weights"], batch["weights"])
    assert model.training and guard.metrics()["adversarial.images_attacked"] == 4.0


def test_clean_epochs_are_not_attacked() -> None:
    model = ImageClassifier(ImageConfig("small-cnn", 16, 3, {0: "a", 1: "b"}))
    ctx = _ctx(model)
    batch = {"pixel_values": torch.zeros(4, 3, 16, 16), "labels": torch.tensor([0, 1, 0, 1])}
    guard = ImageAdversarialGuard(ImageAdversarialConfig(clean_epochs=1))
    guard.on_epoch_start(1, ctx)  # type: ignore[arg-type]
    assert guard.transform_batch(batch, ctx) is batch  # type: ignore[arg-type]
    assert [f.message for f in guard.findings()] == [MSG_NO_ROUND]
    assert guard.metrics()["adversarial.training_accuracy_under_attack"] is None


def _spec(tmp_path: Path, guards: dict) -> Path:
    write_yaml(tmp_path / "policy.yaml", {"name": "p", "guards": guards,
                                          "checks": {"image_robustness": {"epsilon": EPS, "corruptions": []}}})
    image_folder(tmp_path / "imgs", per_class=80)
    return write_yaml(tmp_path / "spec.yaml", {
        "name": "adv", "task": "image-classification", "policy": "policy.yaml", "data": {"source": "imgs"},
        "model": {"base": str(small_cnn_base(tmp_path / "cnn")), "adapter": {"method": "full"}},
        "train": {"epochs": 5, "batch_size": 16, "learning_rate": 0.01, "seed": SEED}})


def test_the_trained_model_withstands_the_attack_that_breaks_its_baseline(tmp_path: Path) -> None:
    guards = {"image_adversarial": {"epsilon": EPS, "baseline": True}}
    run_dir, doc = run(_spec(tmp_path, guards), output_root=tmp_path / "r", quiet=True)
    assert doc is not None
    m = doc["metrics"]
    assert m["robustness.image_clean_accuracy"] >= 0.9 and m["robustness.image_baseline_clean_accuracy"] >= 0.9
    assert m["robustness.image_baseline_accuracy_under_attack"] <= m["robustness.image_clean_accuracy"] - 0.15
    assert m["robustness.image_accuracy_under_attack"] >= m["robustness.image_baseline_accuracy_under_attack"] + 0.15
    comparison = doc["checks"]["image_robustness"]["details"]["comparison"]
    assert comparison["change"] == pytest.approx(m["robustness.image_accuracy_under_attack"]
                                                 - m["robustness.image_baseline_accuracy_under_attack"])
    assert "without image_adversarial" in comparison["source"]
    assert m["adversarial.images_attacked"] > 0
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "image-adversarial-training" in html and "image-robustness-before-after" in html
    card = (run_dir / "model_card.md").read_text(encoding="utf-8")
    assert "Adversarially trained" in card and "The baseline (" in card


def test_dp_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=MSG_NO_DP_DATA_GUARD.format(name="image_adversarial")):
        run(_spec(tmp_path, {"image_adversarial": {}, "dp": {"target_epsilon": 8.0}}), output_root=tmp_path / "r",
            quiet=True)
