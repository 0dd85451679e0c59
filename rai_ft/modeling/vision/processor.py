"""The image processor: references in, normalised pixel tensors out, called as a tokenizer is.

``processor(refs, return_tensors="pt")`` gives ``{"pixel_values": (n, channels, size, size)}``; ``pad(items)``
stacks a training batch. So the generic predictor, inference and training loop serve images unchanged. Decoded,
resized images are cached (uint8) by reference: the audit reads the same images several times.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from rai_ft.data.images import read_image, to_pixels

__all__ = ["ImageProcessor", "PROCESSOR_FILE"]

PROCESSOR_FILE = "preprocessor_config.json"
CACHE_IMAGES = 100_000  # decoded images kept (64x64 RGB: 12 KB each)


class ImageProcessor:
    """Reads, resizes (bilinear), converts (grey repeated to RGB when the network wants 3 channels) and normalises
    ``(pixel / 255 - mean) / std``."""

    def __init__(self, image_size: int, channels: int = 3, mean: float = 0.5, std: float = 0.5,
                 root: str | Path | None = None) -> None:
        self.image_size, self.channels, self.mean, self.std = image_size, channels, mean, std
        self.root = Path(root) if root is not None else None  # relative references are read from here
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def pixels(self, ref: str) -> np.ndarray:
        """One image as (size, size, channels) uint8 (cached)."""
        hit = self._cache.get(ref)
        if hit is None:
            path = ref if ref.startswith("builtin:") or self.root is None else str(self.root / ref)
            hit = to_pixels(read_image(path), self.image_size, self.channels)
            self._cache[ref] = hit
            if len(self._cache) > CACHE_IMAGES:
                self._cache.popitem(last=False)
        return hit

    def normalise(self, batch: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(n, size, size, channels) uint8 -> (n, channels, size, size) float, normalised."""
        return self.standardise(self.unit(batch))

    @staticmethod
    def unit(batch: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(n, size, size, channels) uint8 -> (n, channels, size, size) float in [0, 1] (what attacks perturb)."""
        return torch.as_tensor(np.asarray(batch)).permute(0, 3, 1, 2).float() / 255.0

    def standardise(self, images01: torch.Tensor) -> torch.Tensor:
        """[0, 1] images -> what the network reads: ``(x - mean) / std``."""
        return (images01 - self.mean) / self.std

    def unstandardise(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """What the network reads -> [0, 1] images (the inverse of :meth:`standardise`, clipped)."""
        return (pixel_values * self.std + self.mean).clamp(0, 1)

    def __call__(self, refs: Sequence[str], **_: Any) -> dict[str, torch.Tensor]:
        """``{"pixel_values": ...}`` for *refs* (tokenizer keywords such as ``padding`` are accepted and unused)."""
        if not refs:
            return {"pixel_values": torch.zeros(0, self.channels, self.image_size, self.image_size)}
        return {"pixel_values": self.normalise(np.stack([self.pixels(r) for r in refs]))}

    def pad(self, items: list[dict[str, Any]], return_tensors: str = "pt") -> dict[str, torch.Tensor]:
        """A training batch: items' uint8 ``pixels`` stacked and normalised."""
        return {"pixel_values": self.normalise(np.stack([it["pixels"] for it in items]))}

    def save_pretrained(self, out_dir: str | Path) -> None:
        """Write ``preprocessor_config.json``."""
        settings = {"image_size": self.image_size, "channels": self.channels, "mean": self.mean, "std": self.std}
        (Path(out_dir) / PROCESSOR_FILE).write_text(json.dumps(settings, indent=2), encoding="utf-8")

    @classmethod
    def from_pretrained(cls, location: str | Path, image_size: int | None = None,
                        root: str | Path | None = None) -> "ImageProcessor":
        """The processor saved in *location* (else built from its ``config.json``); *image_size* overrides; *root*:
        the folder relative image references are read from (not saved: it belongs to the data, not the model)."""
        path = Path(location)
        src = path / PROCESSOR_FILE if (path / PROCESSOR_FILE).is_file() else path / "config.json"
        raw = json.loads(src.read_text(encoding="utf-8"))
        return cls(image_size or int(raw["image_size"]), int(raw.get("channels", 3)), float(raw.get("mean", 0.5)),
                   float(raw.get("std", 0.5)), root)
