"""Batched inference: class probabilities for a list of texts."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

__all__ = ["predict_proba", "encode_batch", "bf16_supported", "use_bf16"]


def encode_batch(tokenizer: Any, texts: list[str], max_length: int) -> dict[str, torch.Tensor]:
    """Tokenise a batch with dynamic padding (to the longest text, at most *max_length*)."""
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


def bf16_supported() -> bool:
    """True if this CPU has native bfloat16 matrix instructions (AVX-512 BF16 or AMX)."""
    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool((probe and probe()) or (amx and amx()))


def use_bf16(precision: str) -> bool:
    """Resolve a ``precision`` setting (auto | fp32 | bf16): auto means bf16 where the CPU has it natively."""
    return precision == "bf16" or (precision == "auto" and bf16_supported())


@torch.inference_mode()
def predict_proba(model: torch.nn.Module, tokenizer: Any, texts: list[str], max_length: int,
                  batch_size: int = 64, desc: str = "predict", progress: bool = True,
                  bf16: bool = False) -> np.ndarray:
    """Softmax probabilities, shape (len(texts), num_labels), float64. Texts are sorted by length for speed.

    ``bf16=True`` runs the forward pass under bfloat16 autocast (about 1.6x faster on CPUs with AVX-512 BF16;
    probabilities move by ~1e-4). It is used only where the result is itself an estimate (SHAP sampling).
    """
    model.eval()
    dev = next(model.parameters()).device
    order = np.argsort([len(t) for t in texts], kind="stable")
    out: list[np.ndarray] = [None] * len(texts)  # type: ignore[list-item]
    batches = range(0, len(texts), batch_size)
    for start in tqdm(batches, desc=desc, disable=not progress or None, leave=False, unit="batch"):
        idx = order[start:start + batch_size]
        enc = {k: v.to(dev) for k, v in encode_batch(tokenizer, [texts[i] for i in idx], max_length).items()}
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(**enc).logits
        probs = torch.softmax(logits.float(), dim=-1).double().cpu().numpy()
        for j, i in enumerate(idx):
            out[i] = probs[j]
    return np.stack(out) if out else np.zeros((0, 0))
