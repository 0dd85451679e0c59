"""Batched inference: class probabilities for a list of texts."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

__all__ = ["predict_proba", "encode_batch"]


def encode_batch(tokenizer: Any, texts: list[str], max_length: int) -> dict[str, torch.Tensor]:
    """Tokenise a batch with dynamic padding (to the longest text, at most *max_length*)."""
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


@torch.no_grad()
def predict_proba(model: torch.nn.Module, tokenizer: Any, texts: list[str], max_length: int,
                  batch_size: int = 64, desc: str = "predict", progress: bool = True) -> np.ndarray:
    """Softmax probabilities, shape (len(texts), num_labels), float64. Texts are sorted by length for speed."""
    model.eval()
    order = np.argsort([len(t) for t in texts], kind="stable")
    out: list[np.ndarray] = [None] * len(texts)  # type: ignore[list-item]
    batches = range(0, len(texts), batch_size)
    for start in tqdm(batches, desc=desc, disable=not progress or None, leave=False, unit="batch"):
        idx = order[start:start + batch_size]
        enc = encode_batch(tokenizer, [texts[i] for i in idx], max_length)
        probs = torch.softmax(model(**enc).logits.float(), dim=-1).double().numpy()
        for j, i in enumerate(idx):
            out[i] = probs[j]
    return np.stack(out) if out else np.zeros((0, 0))
