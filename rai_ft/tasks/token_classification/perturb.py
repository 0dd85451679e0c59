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

Word level, the one replacement that keeps the tags true is an entity for an entity of the same type
(:func:`replace_entities`; RockNER's entity-level attack, Lin et al. 2021): the new words are tagged ``B-X I-X ...``
and the context is untouched. :func:`entity_pool` gathers the replacements, :func:`draw_replacements` picks them
per sentence, seeded by its text as above.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rai_ft.robustness.noise import edit_words
from rai_ft.robustness.transforms import candidates
from rai_ft.sampling import text_key
from rai_ft.tasks.token_classification.entities import extract_entities

__all__ = ["Kind", "KINDS", "Plan", "plan_edits", "perturb", "eligible", "noisy_words", "replace_entities",
           "entity_pool", "draw_replacements", "Replacement"]

Replacement = Sequence[str] | None  # the words an entity becomes (None = it stays)

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


def replace_entities(words: Sequence[str], tags: Sequence[str],
                     replacements: Sequence[Replacement]) -> tuple[list[str], list[str]]:
    """*words*/*tags* with the k-th gold entity replaced by ``replacements[k]`` (tagged ``B-X I-X ...`` of its type
    X); ``None`` (or a list shorter than the entities) keeps it. Every other word keeps its word and tag."""
    out_words: list[str] = []
    out_tags: list[str] = []
    pos = 0
    for k, (kind, start, end) in enumerate(extract_entities(tags)):
        new = replacements[k] if k < len(replacements) else None
        if new is None or not len(new):
            continue
        out_words += list(words[pos:start]) + list(new)
        out_tags += list(tags[pos:start]) + [f"B-{kind}"] + [f"I-{kind}"] * (len(new) - 1)
        pos = end
    return out_words + list(words[pos:]), out_tags + list(tags[pos:])


def entity_pool(sentences: Iterable[tuple[Sequence[str], Sequence[str]]],
                exclude: Iterable[str] = ()) -> dict[str, list[tuple[str, ...]]]:
    """Distinct entities per type (compared lower-cased, sorted, so row order does not matter), leaving out those
    whose lower-cased text is in *exclude* (e.g. every entity of the training split: unseen replacements only)."""
    skip = {e.lower() for e in exclude}
    pool: dict[str, dict[str, tuple[str, ...]]] = {}
    for words, tags in sentences:
        for kind, start, end in extract_entities(tags):
            text = " ".join(words[start:end]).lower()
            if text not in skip:
                pool.setdefault(kind, {}).setdefault(text, tuple(words[start:end]))
    return {kind: [found[t] for t in sorted(found)] for kind, found in sorted(pool.items())}


def draw_replacements(words: Sequence[str], tags: Sequence[str], pool: dict[str, list[tuple[str, ...]]],
                      seed: int = 0) -> list[Replacement]:
    """For each gold entity, another entity of its type from *pool* (never its own text), drawn from a stream
    seeded by (seed, the sentence): ``None`` where the pool holds no other entity of that type."""
    rng = np.random.default_rng(text_key(" ".join(words), seed))
    out: list[Replacement] = []
    for kind, start, end in extract_entities(tags):
        own = " ".join(words[start:end]).lower()
        choices = [e for e in pool.get(kind, []) if " ".join(e).lower() != own]
        out.append(choices[int(rng.integers(len(choices)))] if choices else None)
    return out
