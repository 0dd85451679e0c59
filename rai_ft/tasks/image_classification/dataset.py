"""Training images decoded and resized once (uint8), normalised per batch by the processor's ``pad``."""

from __future__ import annotations

from typing import Any

import numpy as np
from torch.utils.data import Dataset
from tqdm.auto import tqdm

__all__ = ["PixelDataset"]


class PixelDataset(Dataset):
    """Images (by reference) with their label indices and per-row loss weights."""

    def __init__(self, processor: Any, refs: list[str], labels: list[int], weights: list[float] | None = None,
                 progress: bool = False) -> None:
        bar = tqdm(refs, desc="decode images", disable=not progress or None, leave=False, unit="image")
        self.pixels = np.stack([processor.pixels(r) for r in bar]) if refs else np.zeros((0, 1, 1, 1), np.uint8)
        self.labels = list(labels)
        self.weights = list(weights) if weights is not None else [1.0] * len(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"pixels": self.pixels[i], "labels": self.labels[i], "weights": self.weights[i]}
