"""Random label-preserving noise for training copies of texts (the augment guard's edits; no model, no download)."""

from __future__ import annotations

import math

import numpy as np

from rai_ft.robustness.text import WordText
from rai_ft.robustness.transforms import STOPWORDS, candidates

__all__ = ["perturb"]


def _synonym(word: str, rng: np.random.Generator) -> list[str]:
    from nltk.corpus import wordnet

    names = {lemma.name().replace("_", " ") for s in wordnet.synsets(word) for lemma in s.lemmas()} - {word}
    return [sorted(names)[rng.integers(len(names))]] if names else []


def perturb(text: str, names: list[str], word_fraction: float, rng: np.random.Generator,
            wordnet: bool = False) -> str:
    """A copy of *text* with ceil(word_fraction x words) non-stopword words edited (fewer if too few qualify)."""
    wt = WordText.parse(text)
    spots = [i for i, w in enumerate(wt.words) if w.lower() not in STOPWORDS and len(w) > 1]
    if not spots:
        return text
    k = min(len(spots), max(1, math.ceil(word_fraction * len(wt))))
    for i in rng.choice(spots, size=k, replace=False):
        options = candidates(wt.words[i], names, rng) + (_synonym(wt.words[i], rng) if wordnet else [])
        if options:
            wt = wt.replace(int(i), options[rng.integers(len(options))])
    return wt.render()
