"""Built-in Fashion-MNIST (``data.source: builtin:fashion-mnist``), read at run time from Debian's
``dataset-fashion-mnist`` package: 60,000 training and 10,000 test 28x28 grey images of 10 clothing classes.

Nothing is copied: the four IDX files are read where the package put them (``/usr/share/datasets/fashion-mnist``,
or the folder ``RAI_FT_FASHION_MNIST`` names). Images are referenced as ``builtin:fashion-mnist/<split>/<index>``
(:mod:`rai_ft.data.images`), so a row's reference names its image exactly.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rai_ft.errors import SpecError

__all__ = ["FASHION_MNIST", "FashionInfo", "fashion_mnist_dir", "fashion_mnist_arrays", "fashion_image",
           "MSG_FASHION_MISSING", "CLASSES"]

FASHION_MNIST = "fashion-mnist"
DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
MSG_FASHION_MISSING = ("builtin:fashion-mnist needs Debian's dataset-fashion-mnist ({where} has no {file}): "
                       "sudo apt-get install dataset-fashion-mnist, or set RAI_FT_FASHION_MNIST to a folder holding "
                       "its four .gz files")


@dataclass(frozen=True)
class FashionInfo:
    """Provenance, copied into audit.json and the model card."""

    title: str = "Fashion-MNIST"
    license: str = "MIT (Zalando SE, 2017)"
    citation: str = ("Han Xiao, Kashif Rasul and Roland Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
                     "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017.")
    url: str = "https://github.com/zalandoresearch/fashion-mnist"
    package: str = "Debian dataset-fashion-mnist"


def fashion_mnist_dir() -> Path:
    """The folder holding the four IDX files (checked whole)."""
    where = Path(os.environ.get("RAI_FT_FASHION_MNIST", DEFAULT_DIR))
    for names in FILES.values():
        for name in names:
            if not (where / name).is_file():
                raise SpecError(MSG_FASHION_MISSING.format(where=where, file=name), field="data.source")
    return where


def _idx(path: Path, magic: int) -> np.ndarray:
    """One gzipped IDX file (big-endian header: magic, then one size per dimension)."""
    raw = gzip.decompress(path.read_bytes())
    dims = magic & 0xFF
    header = np.frombuffer(raw[:4 + 4 * dims], dtype=">u4")
    if int(header[0]) != magic:
        raise SpecError(f"{path} is not an IDX file of the expected kind (magic {int(header[0])})",
                        field="data.source")
    return np.frombuffer(raw[4 + 4 * dims:], dtype=np.uint8).reshape(tuple(int(d) for d in header[1:]))


@lru_cache(maxsize=2)
def fashion_mnist_arrays(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 28, 28) uint8, labels (n,) uint8) of *split* (``train`` or ``test``)."""
    where = fashion_mnist_dir()
    images, labels = FILES[split]
    return _idx(where / images, 2051), _idx(where / labels, 2049)


def fashion_image(split: str, index: int) -> np.ndarray:
    """One image, (28, 28) uint8."""
    return fashion_mnist_arrays(split)[0][index]
