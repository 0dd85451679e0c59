"""Training images decoded and resized once (uint8), normalised per batch by the processor's ``pad``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from rai_ft.data.image_augment import augment_image

__all__ = ["PixelDataset", "AugmentedImage"]


@dataclass(frozen=True)
class AugmentedImage:
    """A training image to augment when decoded: the reference, the augmentations, the seed of their settings."""

    ref: str
    augmentations: tuple[str, ...]
    seed: int

    def pixels(self, processor: Any) -> np.ndarray:
        """The decoded image with the augmentations applied (the same pixels for the same seed)."""
        return augment_image(processor.pixels(self.ref), self.augmentations, np.random.default_rng(self.seed))


def _decode(processor: Any, ref: "str | AugmentedImage") -> np.ndarray:
    return ref.pixels(processor) if isinstance(ref, AugmentedImage) else processor.pixels(ref)


class PixelDataset(Dataset):
    """Images (by reference) with their label indices and per-row loss weights."""

    def __init__(self, processor: Any, refs: "Sequence[str | AugmentedImage]", labels: list[int],
                 weights: list[float] | None = None, progress: bool = False) -> None:
        bar = tqdm(refs, desc="decode images", disable=not progress or None, leave=False, unit="image")
        self.pixels = np.stack([_decode(processor, r) for r in bar]) if refs else np.zeros((0, 1, 1, 1), np.uint8)
        self.labels = list(labels)
        self.weights = list(weights) if weights is not None else [1.0] * len(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"pixels": self.pixels[i], "labels": self.labels[i], "weights": self.weights[i]}
