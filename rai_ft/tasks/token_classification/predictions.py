"""The shared test predictions of a token classifier: flat per-word arrays, with the sentence each word is in."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rai_ft.checks.base import Predictions

__all__ = ["TokenPredictions"]


@dataclass
class TokenPredictions(Predictions):
    """:class:`~rai_ft.checks.base.Predictions` over the test split's *words* (``y_true``, ``y_pred``: tag
    indices; ``proba``: per-word tag probabilities), and ``sentence_ids``: the test sentence of each word."""

    sentence_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def from_sentences(cls, gold: list[list[int]], proba: list[np.ndarray], labels: list[str]) -> "TokenPredictions":
        """Flatten per-sentence gold tags and probabilities."""
        flat = np.concatenate(proba) if proba else np.zeros((0, len(labels)))
        ids = np.concatenate([np.full(len(g), i) for i, g in enumerate(gold)]) if gold else np.zeros(0, int)
        y_true = np.concatenate([np.asarray(g, dtype=np.int64) for g in gold]) if gold else np.zeros(0, int)
        return cls(y_true=y_true, y_pred=flat.argmax(axis=1), proba=flat, labels=list(labels),
                   positive_index=labels.index("O") if "O" in labels else 0, sentence_ids=ids.astype(np.int64))

    def sentences(self, which: str = "pred") -> list[list[str]]:
        """Per test sentence, its tag names: gold (``"true"``) or predicted (``"pred"``)."""
        values = self.y_true if which == "true" else self.y_pred
        n = int(self.sentence_ids.max()) + 1 if len(self.sentence_ids) else 0
        out: list[list[str]] = [[] for _ in range(n)]
        for s, v in zip(self.sentence_ids, values):
            out[int(s)].append(self.labels[int(v)])
        return out

    def per_sentence(self, values: np.ndarray) -> list[np.ndarray]:
        """*values* (one per word, e.g. ``y_true`` or ``proba``) cut into one array per test sentence."""
        counts = np.bincount(self.sentence_ids, minlength=int(self.sentence_ids.max()) + 1 if len(values) else 0)
        return np.split(values, np.cumsum(counts)[:-1]) if len(counts) else []
