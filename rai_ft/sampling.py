"""Seeded choices that depend on what the rows say, not where they stand.

An audit must not change its verdict when the same data arrives in another row order. Every sample a check draws
(examples to attack, members to test, texts to swap) and every per-example random stream is therefore keyed by a
hash of the row's text and the seed, never by its position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

__all__ = ["text_key", "order_free_sample"]


def text_key(text: str, seed: int = 0) -> int:
    """A 64-bit integer from (seed, text): the same text gets the same key wherever it stands."""
    digest = hashlib.blake2b(f"{seed}\x00{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def order_free_sample(texts: Sequence[str], k: int | None, seed: int = 0,
                      among: Sequence[int] | np.ndarray | None = None) -> list[int]:
    """Indices of *k* rows (of *among*, default all), ordered by their keys: the same rows, in the same key order,
    whatever the order of *texts*. Identical texts are interchangeable; they are taken in position order."""
    pool = list(range(len(texts))) if among is None else [int(i) for i in among]
    ranked = sorted(pool, key=lambda i: (text_key(texts[i], seed), i))
    return ranked if k is None else ranked[:k]
