"""The one way anything asks a token classifier for scores or tags: :class:`TokenPredictor`.

It owns the model, its fast tokenizer and the map from the model's ``id2label`` order to the data's tag list (by
name; a tag the model never learned scores 0). It reads each word's scores from its first piece (:mod:`.align`)
and returns them in the data's tag order. Checks and guards call it, never the model.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rai_ft.errors import SpecError
from rai_ft.tasks.token_classification.align import encode, piece_positions, word_probabilities

__all__ = ["TokenPredictor", "MSG_TAGS_DIFFER"]

MSG_TAGS_DIFFER = ("the model predicts tags the data does not have ({extra}); token classification maps the model's "
                   "tags to the data's by name")


class TokenPredictor:
    """Per-word tag probabilities of a token classifier, in the data's tag order."""

    def __init__(self, model: Any, tokenizer: Any, labels: list[str], model_labels: list[str] | None = None,
                 max_length: int = 128, batch_size: int = 32) -> None:
        self.model, self.tokenizer, self.labels = model, tokenizer, list(labels)
        self.max_length, self.batch_size = max_length, batch_size
        model_labels = list(model_labels) if model_labels is not None else list(labels)
        extra = sorted(set(model_labels) - set(self.labels))
        if extra:
            raise SpecError(MSG_TAGS_DIFFER.format(extra=", ".join(extra)), field="--model")
        # data tag i = model column; a tag the model does not know (an entity type it was never taught) gets 0
        self._column = np.array([model_labels.index(t) if t in model_labels else -1 for t in self.labels])
        self.fallback = self.labels.index("O") if "O" in self.labels else 0
        self.description = "most probable tag per word (its first piece)"

    def word_proba(self, sentences: Sequence[Sequence[str]], desc: str = "predict",
                   progress: bool = False) -> list[np.ndarray]:
        """Per sentence, ``(n_words, n_tags)`` probabilities (a word cut off by ``max_length`` is certainly O)."""
        import torch
        from tqdm.auto import tqdm

        out: list[np.ndarray] = []
        starts = range(0, len(sentences), self.batch_size)
        self.model.eval()
        for start in tqdm(starts, desc=desc, disable=not progress or None, unit="batch", leave=False):
            batch = [list(s) for s in sentences[start:start + self.batch_size]]
            enc = encode(self.tokenizer, batch, None, self.max_length)
            padded = self.tokenizer.pad([dict(zip(enc.columns, row)) for row in zip(*enc.columns.values())],
                                        return_tensors="pt")
            with torch.no_grad():
                proba = self.piece_proba(**dict(padded.items())).numpy()
            out.extend(word_probabilities(proba, enc.word_ids, enc.n_words, self.fallback))
        return out

    def piece_proba(self, **inputs: Any) -> Any:
        """``(batch, n_pieces, n_tags)`` tag probabilities of every piece, in the data's tag order (a tag the model
        does not know: 0), as a tensor that keeps its gradient (explainers differentiate it)."""
        import torch

        logits = piece_positions(self.model(**inputs).logits, inputs["input_ids"].shape[1])
        proba = torch.softmax(logits.float(), dim=-1)
        known = torch.as_tensor(self._column >= 0, dtype=proba.dtype)
        return proba[:, :, torch.as_tensor(np.maximum(self._column, 0))] * known

    def tags(self, sentences: Sequence[Sequence[str]], **kwargs: Any) -> list[np.ndarray]:
        """Per sentence, the most probable tag index of each word."""
        return [p.argmax(axis=1).astype(np.int64) for p in self.word_proba(sentences, **kwargs)]
