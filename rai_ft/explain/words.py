"""Token attributions rolled up to whitespace words, so that IG (word pieces) and SHAP (masker tokens) compare."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["WordAttribution", "words_of", "to_words", "spearman", "norm_word"]

_WORD = re.compile(r"\S+")
_PUNCT = ".,;:!?()\"'"


def norm_word(word: str) -> str:
    """Lower-case a word and strip surrounding punctuation (how words are compared with term lists)."""
    return word.lower().strip(_PUNCT)


@dataclass
class WordAttribution:
    """One explained text: its words and one attribution score per word (signed, towards the target class)."""

    words: list[str]
    scores: list[float]


def words_of(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) for each whitespace-separated word."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def to_words(text: str, spans: list[tuple[int, int]], scores: np.ndarray) -> WordAttribution:
    """Sum token scores into the words their character spans fall in (special tokens have empty spans)."""
    words = words_of(text)
    out = np.zeros(len(words))
    for (start, end), score in zip(spans, scores):
        if end <= start:
            continue
        for i, (_, ws, we) in enumerate(words):
            if start < we and ws < end:
                out[i] += float(score)
                break
    return WordAttribution([w for w, _, _ in words], out.tolist())


def spearman(a: list[float], b: list[float]) -> float | None:
    """Spearman rank correlation (average ranks for ties); None when undefined."""
    if len(a) != len(b) or len(a) < 3:
        return None
    ra = _ranks(np.asarray(a, dtype=float))
    rb = _ranks(np.asarray(b, dtype=float))
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    for value in np.unique(x):  # average ties
        tie = x == value
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return ranks
