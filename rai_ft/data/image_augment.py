"""Standard image augmentations for training copies: flips, shifts, brightness, contrast, noise.

Each takes one decoded image ``(height, width, channels)`` uint8 and a seeded ``numpy`` generator and returns a new
uint8 image of the same shape; the label still holds for natural photographs and for clothing (a user whose classes
depend on left and right, such as digits or road signs, leaves ``flip`` out). Settings follow common practice for
small images (CIFAR / Fashion-MNIST training): flip with probability 0.5, shifts of up to 1/8 of the side with the
edge pixels repeated, brightness and contrast factors in [0.8, 1.2], Gaussian noise of σ = 8 grey levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import numpy as np

__all__ = ["IMAGE_AUGMENTATIONS", "DEFAULT_IMAGE_AUGMENTATIONS", "augment_image"]

Augmentation = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _flip(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return image[:, ::-1].copy() if rng.random() < 0.5 else image.copy()


def _shift(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    pad = max(1, min(h, w) // 8)
    dy, dx = (int(v) for v in rng.integers(0, 2 * pad + 1, size=2))
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    return padded[dy:dy + h, dx:dx + w].copy()


def _brightness(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(image.astype(np.float32) * rng.uniform(0.8, 1.2), 0, 255).round().astype(np.uint8)


def _contrast(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = image.astype(np.float32)
    mean = x.mean()
    return np.clip(mean + (x - mean) * rng.uniform(0.8, 1.2), 0, 255).round().astype(np.uint8)


def _noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(image.astype(np.float32) + rng.normal(0, 8.0, image.shape), 0, 255).round().astype(np.uint8)


# name -> (what it does, function). Registered one line each.
IMAGE_AUGMENTATIONS: dict[str, tuple[str, Augmentation]] = {
    "flip": ("horizontal flip, probability 0.5", _flip),
    "shift": ("shift by up to 1/8 of the side (edge pixels repeated)", _shift),
    "brightness": ("brightness x U(0.8, 1.2)", _brightness),
    "contrast": ("contrast x U(0.8, 1.2) about the image mean", _contrast),
    "noise": ("Gaussian noise, σ = 8 grey levels", _noise),
}
DEFAULT_IMAGE_AUGMENTATIONS = ("flip", "shift", "brightness", "contrast")


def augment_image(image: np.ndarray, names: Sequence[str], rng: np.random.Generator) -> np.ndarray:
    """*image* with each named augmentation applied in turn (random settings drawn from *rng*)."""
    out = image
    for name in names:
        out = IMAGE_AUGMENTATIONS[name][1](out, rng)
    return out
