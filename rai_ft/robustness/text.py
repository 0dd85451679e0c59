"""Texts as words between fixed separators: the unit every character-level attack edits."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["WordText", "WORD_RE", "edit_distance"]

# A word: letters/digits with inner apostrophes or hyphens ("don't", "well-made"); everything else is separator.
WORD_RE = re.compile(r"\w+(?:['\-]\w+)*")


@dataclass(frozen=True)
class WordText:
    """A text split into ``words`` and the ``gaps`` around them (``len(gaps) == len(words) + 1``).

    Replacing a word keeps every separator byte for byte, so ``render()`` of an unmodified text is the original.
    """

    words: tuple[str, ...]
    gaps: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "WordText":
        """Split *text* into words and separators."""
        words, gaps, pos = [], [], 0
        for m in WORD_RE.finditer(text):
            gaps.append(text[pos:m.start()])
            words.append(m.group())
            pos = m.end()
        gaps.append(text[pos:])
        return cls(tuple(words), tuple(gaps))

    def replace(self, index: int, word: str) -> "WordText":
        """A copy with word *index* replaced."""
        words = list(self.words)
        words[index] = word
        return WordText(tuple(words), self.gaps)

    def render(self) -> str:
        """The text again."""
        out = [self.gaps[0]]
        for w, g in zip(self.words, self.gaps[1:]):
            out.append(w)
            out.append(g)
        return "".join(out)

    def __len__(self) -> int:
        return len(self.words)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two (short) strings."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
