"""The augment guard on an image classifier: each epoch's copies are the training images with the task's default
augmentations (flip, shift, brightness, contrast), labels kept; text transformations are refused for images, and
image augmentations for text, at validation (exit 2, naming the policy field)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from rai_ft.errors import SpecError
from rai_ft.guards.augment import MSG_NOT_FOR_TASK, AugmentConfig, AugmentGuard
from rai_ft.pipeline import run
from rai_ft.tasks.image_classification.dataset import AugmentedImage
from rai_ft.tasks.image_classification.task import ImageClassification
from rai_ft.validation import prepare
from tests.conftest import SEED, write_yaml
from tests.tasks.image_classification.images import image_folder, small_cnn_base


def _spec(tmp_path: Path, augment: dict, task: str = "image-classification", data: dict | None = None) -> Path:
    write_yaml(tmp_path / "policy.yaml", {"name": "p", "guards": {"augment": augment},
                                          "checks": {"performance": {}}})
    model = {"base": str(small_cnn_base(tmp_path / "cnn")), "adapter": {"method": "full"}} \
        if task == "image-classification" else {}
    return write_yaml(tmp_path / "spec.yaml", {
        "name": "aug", "task": task, "policy": "policy.yaml", "data": data or {"source": "imgs"}, "model": model,
        "train": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "seed": SEED, "early_stopping": None}})


def test_image_copies_use_the_task_defaults_keep_labels_and_differ_from_the_originals(tmp_path: Path) -> None:
    image_folder(tmp_path / "imgs", per_class=30)
    _, doc = run(_spec(tmp_path, {"fraction": 0.5, "copies": 2}), output_root=tmp_path / "r", quiet=True)
    assert doc is not None
    added = doc["guards"]["augment"]["summary"]["added_per_epoch"]
    assert added == [2 * int(np.ceil(0.5 * doc["data"]["sizes"]["train"]))] * 2
    assert doc["guards"]["augment"]["summary"]["transformations"] == ["flip", "shift", "brightness", "contrast"]

    task = ImageClassification()
    rng = np.random.default_rng(0)
    copy, label = task.noisy_copy(("imgs/vertical/000.png", 1), task.default_augmentations, 0.1, rng)
    assert isinstance(copy, AugmentedImage) and label == 1
    assert copy.augmentations == ("flip", "shift", "brightness", "contrast")


def test_augmented_image_pixels_are_seeded_and_not_the_original(tmp_path: Path) -> None:
    from rai_ft.modeling.vision.processor import ImageProcessor

    image_folder(tmp_path / "imgs", per_class=2)
    processor = ImageProcessor(16, channels=1, root=tmp_path)
    ref = "imgs/vertical/000.png"
    a, b = AugmentedImage(ref, ("shift", "brightness"), 5), AugmentedImage(ref, ("shift", "brightness"), 6)
    assert np.array_equal(a.pixels(processor), AugmentedImage(ref, ("shift", "brightness"), 5).pixels(processor))
    assert not np.array_equal(a.pixels(processor), processor.pixels(ref))
    assert not np.array_equal(a.pixels(processor), b.pixels(processor))


def test_text_transformations_are_refused_for_images_at_validation(tmp_path: Path) -> None:
    image_folder(tmp_path / "imgs", per_class=4)
    task = ImageClassification()
    with pytest.raises(SpecError, match=re.escape(MSG_NOT_FOR_TASK.format(
            names="'qwerty'", task=task.name, available=", ".join(task.augmentations),
            default=", ".join(task.default_augmentations)))) as err:
        prepare(_spec(tmp_path, {"transformations": ["flip", "qwerty"]}))
    assert err.value.field == "guards.augment.transformations" and err.value.line is not None


def test_image_augmentations_are_refused_for_text_at_validation(tmp_path: Path, sentiment_csv: Path) -> None:
    with pytest.raises(SpecError, match="'flip' do\\(es\\) not apply to task 'text-classification'"):
        prepare(_spec(tmp_path, {"transformations": ["flip"]}, "text-classification",
                      {"source": str(sentiment_csv), "text": "text", "label": "label"}))


def test_an_unknown_transformation_is_refused_by_its_config() -> None:
    with pytest.raises(ValueError, match="flipp"):
        AugmentConfig(transformations=["flipp"])
    assert AugmentGuard.check_task(AugmentConfig(), ImageClassification()) is None  # defaults always apply
