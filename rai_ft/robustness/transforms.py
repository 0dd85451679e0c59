"""Character-level word transformations that need no downloaded resource (DeepWordBug / Pruthi style).

Each transformation maps one word to candidate replacements using a seeded ``numpy`` generator. They mirror
TextAttack's ``WordSwapNeighboringCharacterSwap``, ``WordSwapRandomCharacterSubstitution``,
``WordSwapRandomCharacterDeletion``, ``WordSwapRandomCharacterInsertion``, ``WordSwapQWERTY`` and
``WordSwapHomoglyphSwap`` (``random_one=True``: one random edit per transformation and word; ``random_one=False``:
every edit). The homoglyph table is ours (TextAttack's wheel lacks its table file).
"""

from __future__ import annotations

import string
from typing import Callable

import numpy as np

__all__ = ["TRANSFORMS", "STOPWORDS", "candidates"]

LETTERS = string.ascii_letters

QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _qwerty_neighbours() -> dict[str, str]:
    """Keys touching each key on a staggered QWERTY layout (rows offset by 0, 0.25 and 0.75 key widths)."""
    offset = (0.0, 0.25, 0.75)
    pos = {c: (r, i + offset[r]) for r, row in enumerate(QWERTY_ROWS) for i, c in enumerate(row)}
    out = {}
    for c, (r, x) in pos.items():
        near = [d for d, (r2, x2) in pos.items()
                if d != c and ((r2 == r and abs(x2 - x) == 1) or (abs(r2 - r) == 1 and abs(x2 - x) <= 1.25))]
        out[c] = "".join(sorted(near))
    return out


QWERTY = _qwerty_neighbours()

# Latin letter -> visually identical Cyrillic/Greek code point.
HOMOGLYPHS = {"a": "а", "c": "с", "e": "е", "i": "і", "j": "ј", "o": "о", "p": "р", "s": "ѕ", "x": "х",
              "y": "у", "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "I": "І", "K": "К", "M": "М",
              "O": "О", "P": "Р", "T": "Т", "X": "Х"}

# English function words never attacked (a perturbed "the" says nothing about robustness).
STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below between
both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from
further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor not of
off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't
so some such than that that's the their theirs them themselves then there there's these they they'd they'll they're
they've this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's
when when's where where's which while who who's whom why why's with won't would wouldn't you you'd you'll you're
you've your yours yourself yourselves s t d ll m o re ve y
""".split())

Transform = Callable[[str, np.random.Generator, bool, bool], list[str]]


def _positions(word: str, lo_skip: bool, hi_skip: bool, span: int) -> range:
    start = 1 if lo_skip else 0
    end = len(word) - span + 1 - (1 if hi_skip else 0)
    return range(start, max(start, end))


def _pick(rng: np.random.Generator, rs: range, random_one: bool) -> list[int]:
    if len(rs) == 0:
        return []
    return [int(rs[rng.integers(len(rs))])] if random_one else list(rs)


def swap(word: str, rng: np.random.Generator, random_one: bool = True, skip_ends: bool = False) -> list[str]:
    """Swap two neighbouring characters."""
    return [word[:i] + word[i + 1] + word[i] + word[i + 2:]
            for i in _pick(rng, _positions(word, skip_ends, skip_ends, 2), random_one)] if len(word) > 1 else []


def substitute(word: str, rng: np.random.Generator, random_one: bool = True, skip_ends: bool = False) -> list[str]:
    """Replace one character with a random letter."""
    return [word[:i] + LETTERS[rng.integers(len(LETTERS))] + word[i + 1:]
            for i in _pick(rng, _positions(word, skip_ends, skip_ends, 1), random_one)] if len(word) > 1 else []


def delete(word: str, rng: np.random.Generator, random_one: bool = True, skip_ends: bool = False) -> list[str]:
    """Delete one character."""
    return [word[:i] + word[i + 1:]
            for i in _pick(rng, _positions(word, skip_ends, skip_ends, 1), random_one)] if len(word) > 1 else []


def insert(word: str, rng: np.random.Generator, random_one: bool = True, skip_ends: bool = False) -> list[str]:
    """Insert a random letter."""
    return [word[:i] + LETTERS[rng.integers(len(LETTERS))] + word[i:]
            for i in _pick(rng, _positions(word, skip_ends, skip_ends, 1), random_one)] if len(word) > 1 else []


def qwerty(word: str, rng: np.random.Generator, random_one: bool = True, skip_ends: bool = False) -> list[str]:
    """Replace one character by a neighbouring key (a typo)."""
    spots = [i for i in _positions(word, skip_ends, skip_ends, 1) if word[i].lower() in QWERTY]
    if not spots or len(word) <= 1:
        return []
    chosen = [spots[rng.integers(len(spots))]] if random_one else spots
    out: list[str] = []
    for i in chosen:
        near = QWERTY[word[i].lower()]
        keys = [near[rng.integers(len(near))]] if random_one else list(near)
        out.extend(word[:i] + (k.upper() if word[i].isupper() else k) + word[i + 1:] for k in keys)
    return out


def homoglyph(word: str, rng: np.random.Generator, random_one: bool = True, skip_ends: bool = False) -> list[str]:
    """Replace one character by a look-alike from another script."""
    spots = [i for i in _positions(word, skip_ends, skip_ends, 1) if word[i] in HOMOGLYPHS]
    chosen = [spots[k] for k in _pick(rng, range(len(spots)), random_one)]
    return [word[:i] + HOMOGLYPHS[word[i]] + word[i + 1:] for i in chosen]


# name -> transformation. Registered explicitly, one line each.
TRANSFORMS: dict[str, Transform] = {
    "swap": swap, "substitute": substitute, "delete": delete, "insert": insert, "qwerty": qwerty,
    "homoglyph": homoglyph,
}


def candidates(word: str, names: list[str], rng: np.random.Generator, random_one: bool = True,
               skip_ends: bool = False) -> list[str]:
    """Distinct replacements of *word* from the named transformations (the original word excluded)."""
    seen: dict[str, None] = {}
    for name in names:
        for cand in TRANSFORMS[name](word, rng, random_one, skip_ends):
            if cand != word:
                seen.setdefault(cand, None)
    return list(seen)
