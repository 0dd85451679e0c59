"""Random label-preserving noise for training copies of texts (the augment guard's edits; no model, no download)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rai_ft.robustness.text import WordText
from rai_ft.robustness.transforms import STOPWORDS, candidates

__all__ = ["perturb", "edit_words"]


def _synonym(word: str, rng: np.random.Generator) -> list[str]:
    from nltk.corpus import wordnet

    names = {lemma.name().replace("_", " ") for s in wordnet.synsets(word) for lemma in s.lemmas()} - {word}
    return [sorted(names)[rng.integers(len(names))]] if names else []


def edit_words(words: Sequence[str], spots: Sequence[int], names: Sequence[str], fraction: float,
               rng: np.random.Generator, wordnet: bool = False) -> list[str]:
    """*words* with ceil(fraction x len(words)) of the words at *spots* (at least one, at most all) replaced by one
    random edit each (the named character transformations, and WordNet synonyms with *wordnet*), drawn from *rng*.

    The result has as many entries as *words* (a synonym may hold a space)."""
    out = list(words)
    if not spots:
        return out
    k = min(len(spots), max(1, math.ceil(fraction * len(out))))
    for i in rng.choice(spots, size=k, replace=False):
        word = out[int(i)]
        options = candidates(word, list(names), rng) + (_synonym(word, rng) if wordnet else [])
        if options:
            out[int(i)] = options[int(rng.integers(len(options)))]
    return out


def perturb(text: str, names: list[str], word_fraction: float, rng: np.random.Generator,
            wordnet: bool = False) -> str:
    """A copy of *text* with ceil(word_fraction x words) non-stopword words edited (fewer if too few qualify)."""
    wt = WordText.parse(text)
    spots = [i for i, w in enumerate(wt.words) if w.lower() not in STOPWORDS and len(w) > 1]
    if not spots:
        return text
    for i, (old, new) in enumerate(zip(wt.words, edit_words(wt.words, spots, names, word_fraction, rng, wordnet))):
        if new != old:
            wt = wt.replace(i, new)
    return wt.render()
