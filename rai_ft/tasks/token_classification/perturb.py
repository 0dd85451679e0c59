"""Label-preserving noise for tagged sentences: character edits inside chosen words, one word in, one word out.

Token classification scores one tag per word, so a perturbation keeps the tags only if every word stays exactly one
word. The character-level edits of :mod:`rai_ft.robustness.transforms` (neighbouring-key typos, swaps, deletions,
insertions, random substitutions, look-alike characters) all do: they change letters inside a word and never add
a space. Word-level replacements (synonyms from WordNet or embeddings) are not used: a synonym can be several words
or none, and swapping an entity word for a "synonym" changes the entity itself, so its tag would no longer hold.

Which words change does not depend on row order: each sentence's random stream is seeded by (seed, its text)
through :func:`rai_ft.sampling.text_key`. Every eligible word (two characters or more, at least one letter) draws
one uniform number and one edit; it is perturbed when its number is below ``fraction`` and its kind is asked for.
So the ``"entity"`` and ``"context"`` perturbations of a sentence are disjoint and ``"all"`` is exactly their union.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rai_ft.robustness.noise import edit_words
from rai_ft.robustness.transforms import candidates
from rai_ft.sampling import text_key

__all__ = ["Kind", "KINDS", "Plan", "plan_edits", "perturb", "eligible", "noisy_words"]

Kind = Literal["entity", "context", "all"]
KINDS: tuple[Kind, ...] = ("entity", "context", "all")


def eligible(word: str) -> bool:
    """Whether a word can carry a typo (single characters and pure punctuation or digits are left alone)."""
    return len(word) > 1 and any(c.isalpha() for c in word)


@dataclass(frozen=True)
class Plan:
    """One sentence's drawn edits: per word, its uniform draw (1.0 = never) and its replacement (None = none)."""

    draws: tuple[float, ...]
    edits: tuple[str | None, ...]


def plan_edits(words: Sequence[str], transformations: Sequence[str], seed: int = 0) -> Plan:
    """Draw, for every word of one sentence, whether (a number in [0, 1)) and how (one candidate edit) it changes.

    The stream is seeded by (seed, the sentence's words joined by spaces): the same sentence gets the same plan
    wherever it stands. Words that are not :func:`eligible` or have no candidate draw nothing and never change.
    """
    rng = np.random.default_rng(text_key(" ".join(words), seed))
    draws: list[float] = []
    edits: list[str | None] = []
    for word in words:
        cands = candidates(word, list(transformations), rng) if eligible(word) else []
        draws.append(float(rng.random()) if cands else 1.0)
        edits.append(cands[int(rng.integers(len(cands)))] if cands else None)
    return Plan(tuple(draws), tuple(edits))


def _wanted(tag: str, kind: Kind) -> bool:
    return kind == "all" or (tag != "O") == (kind == "entity")


def perturb(words: Sequence[str], tags: Sequence[str], plan: Plan, fraction: float,
            kind: Kind) -> tuple[list[str], list[int]]:
    """The sentence with the planned edits applied to the words of *kind* whose draw is below *fraction*.

    *tags* are the gold tag names (``O`` = context, anything else = an entity word). Returns the new words (as many
    as before) and the positions changed. The tags are untouched: they still describe the new words.
    """
    out, changed = list(words), []
    for i, (tag, draw, edit) in enumerate(zip(tags, plan.draws, plan.edits)):
        if edit is not None and draw < fraction and _wanted(tag, kind):
            out[i] = edit
            changed.append(i)
    return out, changed


def noisy_words(words: Sequence[str], transformations: Sequence[str], fraction: float,
                rng: np.random.Generator) -> list[str]:
    """A fresh random copy of *words* (training augmentation): ceil(fraction x words) of the :func:`eligible` words
    (at least one, at most all) get one character edit each, drawn from *rng*; as many words as before."""
    return edit_words(words, [i for i, w in enumerate(words) if eligible(w)], transformations, fraction, rng)
