"""Image backbones: one function per architecture, ``(image_size, channels) -> (backbone, feature width)``.

A backbone maps pixels ``(n, channels, size, size)`` to features ``(n, width)``; the classifier adds the head.
Registered in :data:`ARCHITECTURES`, one line each. ``efficientnet-lite0`` is the offline default's network
(the PyPI package ``efficientnet-lite-pytorch``, Apache-2.0); ``small-cnn`` is a two-layer network for tests and
for the small-CNN anchor of the image benchmark.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from rai_ft.errors import MissingExtraError

__all__ = ["ARCHITECTURES", "LORA_TARGETS", "build_backbone", "MSG_UNKNOWN_ARCHITECTURE"]

MSG_UNKNOWN_ARCHITECTURE = "unknown image architecture {name!r}; available: {available}"


class _EfficientNetFeatures(nn.Module):
    """EfficientNet-Lite0 up to its global pooling (its ImageNet head removed)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.net.extract_features(pixels)  # type: ignore[operator]
        return self.net._avg_pooling(x).flatten(1)  # type: ignore[operator]


def _efficientnet_lite0(image_size: int, channels: int) -> tuple[nn.Module, int]:
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise MissingExtraError("image model efficientnet-lite0", "efficientnet-lite-pytorch", "image") from None
    # image_size None: "same" padding computed per call, so one network (and its weights) serves any input size
    # batch_norm_momentum 0.9 (TensorFlow's convention; PyTorch momentum 0.1): the package's 0.99 lets the running
    # statistics trail the fine-tuning data for hundreds of steps, and eval-mode predictions collapse meanwhile
    net = EfficientNet.from_name("efficientnet-lite0", image_size=None, in_channels=channels, batch_norm_momentum=0.9)
    del net._fc  # the ImageNet head; the classifier brings its own
    _plain_pointwise(net)
    return _EfficientNetFeatures(net), 1280


def _plain_pointwise(module: nn.Module) -> None:
    """1x1, stride-1 convolutions as plain ``nn.Conv2d`` (they need no "same" padding, so they compute the same):
    peft's LoRA rebuilds a convolution by its class with ``nn.Conv2d``'s arguments, which the package's padded
    class reads differently."""
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Conv2d) and type(child) is not nn.Conv2d and child.kernel_size == (1, 1) \
                and tuple(child.stride) == (1, 1) and child.groups == 1 and tuple(child.dilation) == (1, 1):
            plain = nn.Conv2d(child.in_channels, child.out_channels, 1, bias=child.bias is not None)
            setattr(module, name, plain)
        else:
            _plain_pointwise(child)


class _SmallCNN(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(2), nn.Flatten())

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.layers(pixels)


def _small_cnn(image_size: int, channels: int) -> tuple[nn.Module, int]:
    return _SmallCNN(channels), 32 * 4


# name -> builder. Registered explicitly, one line each.
ARCHITECTURES: dict[str, Callable[[int, int], tuple[nn.Module, int]]] = {
    "efficientnet-lite0": _efficientnet_lite0,
    "small-cnn": _small_cnn,
}


# name -> the layers LoRA adapts by default (peft ``target_modules``: a regex over module names). EfficientNet: its
# 1x1 convolutions (expansion, projection, head), where nearly all of its weights are; the depthwise and stem
# convolutions stay frozen. small-cnn: both convolutions.
LORA_TARGETS: dict[str, str] = {
    "efficientnet-lite0": r".*\.(_expand_conv|_project_conv|_conv_head)$",
    "small-cnn": r".*\.layers\.(0|3)$",
}


def build_backbone(name: str, image_size: int, channels: int) -> tuple[nn.Module, int]:
    """The named backbone (randomly initialised) and its feature width."""
    from rai_ft.errors import SpecError

    if name not in ARCHITECTURES:
        raise SpecError(MSG_UNKNOWN_ARCHITECTURE.format(name=name, available=", ".join(sorted(ARCHITECTURES))),
                        field="model.base")
    return ARCHITECTURES[name](image_size, channels)
