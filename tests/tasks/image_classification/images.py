"""Tiny synthetic images for the image-task tests: a bright bar, vertical or horizontal, on a noisy background
(the class), optionally dimmed (a condition). Made in the test's folder; nothing is read from ../shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rai_ft.modeling.vision.classifier import ImageClassifier, ImageConfig

KINDS = ("horizontal", "vertical")


def bar(kind: str, rng: np.random.Generator, size: int = 16, dim: bool = False) -> np.ndarray:
    """One (size, size) grey image of a bar of *kind*."""
    img = rng.integers(0, 50, (size, size)).astype(np.uint8)
    pos = int(rng.integers(3, size - 3))
    if kind == "vertical":
        img[:, pos - 1:pos + 1] = 230
    else:
        img[pos - 1:pos + 1, :] = 230
    return (img // 4) if dim else img


def save(img: np.ndarray, path: Path, mode: str = "L") -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).convert(mode).save(path)
    return path


def image_folder(root: Path, per_class: int = 40, seed: int = 0) -> Path:
    """root/<kind>/<i>.png, *per_class* each."""
    rng = np.random.default_rng(seed)
    for kind in KINDS:
        for i in range(per_class):
            save(bar(kind, rng), root / kind / f"{i:03d}.png", "RGB" if i % 2 else "L")
    return root


def image_table(root: Path, n: int = 120, seed: int = 0, dim_share: float = 0.5,
                flip_dim: float = 0.0) -> Path:
    """root/images.csv (paths relative to it), columns image, label, light (dim/bright). *flip_dim*: the share of
    the dim images whose label is flipped (a planted defect: the model cannot learn dim images)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        kind, dim = KINDS[i % 2], bool(rng.random() < dim_share)
        rel = f"img/{i:04d}.png"
        save(bar(kind, rng, dim=dim), root / rel)
        label = KINDS[1 - i % 2] if dim and rng.random() < flip_dim else kind
        rows.append({"image": rel, "label": label, "light": "dim" if dim else "bright"})
    pd.DataFrame(rows).to_csv(root / "images.csv", index=False)
    return root / "images.csv"


def small_cnn_base(out: Path, size: int = 16, seed: int = 0) -> Path:
    """A randomly initialised small CNN saved as an image base folder."""
    import torch

    torch.manual_seed(seed)
    ImageClassifier(ImageConfig("small-cnn", size, 3, {})).save_pretrained(out)
    return out


def watermarked(kind: str, rng: np.random.Generator, size: int = 16, amplitude: int = 16, corner: int = 4
                ) -> np.ndarray:
    """A planted shortcut: a flat grey image with a bar of random orientation (unrelated to the class) and, in one
    corner, a faint checkerboard whose phase is the class (+/- *amplitude* grey levels, 6 %: barely visible)."""
    img = bar(KINDS[int(rng.integers(0, 2))], rng, size).astype(int) // 4 + 100
    board = np.indices((corner, corner)).sum(axis=0) % 2 * 2 - 1
    img[:corner, :corner] += amplitude * board * (1 if kind == "vertical" else -1)
    return img.clip(0, 255).astype(np.uint8)


def shortcut_folder(root: Path, per_class: int = 150, seed: int = 0, planted: bool = True) -> Path:
    """root/<kind>/<i>.png: the class is told by the faint corner checkerboard (*planted*) or by the bar."""
    rng = np.random.default_rng(seed)
    for kind in KINDS:
        for i in range(per_class):
            save(watermarked(kind, rng) if planted else bar(kind, rng), root / kind / f"{i:03d}.png")
    return root
