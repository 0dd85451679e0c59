"""Character transformations: one edit each, ends respected, seeded, exhaustive mode enumerates."""

from __future__ import annotations

import numpy as np
import pytest

from rai_ft.robustness.text import edit_distance
from rai_ft.robustness.transforms import QWERTY, TRANSFORMS, candidates


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_each_transform_makes_a_small_edit(name: str) -> None:
    rng = np.random.default_rng(0)
    for word in ["excellent", "Superb", "plot"]:
        for cand in TRANSFORMS[name](word, rng, False, False):
            assert cand != word or name == "swap"  # swapping equal neighbours may give the same word
            assert edit_distance(word, cand) <= 2


@pytest.mark.parametrize("name", ["swap", "delete", "insert", "qwerty", "homoglyph"])
def test_skip_ends_keeps_first_and_last_character(name: str) -> None:
    rng = np.random.default_rng(1)
    for cand in TRANSFORMS[name]("wonderful", rng, False, True):
        assert cand[0] == "w" and cand[-1] == "l"


def test_exhaustive_mode_enumerates_every_position() -> None:
    rng = np.random.default_rng(0)
    assert TRANSFORMS["delete"]("abcd", rng, False, False) == ["bcd", "acd", "abd", "abc"]
    assert TRANSFORMS["swap"]("abc", rng, False, False) == ["bac", "acb"]


def test_qwerty_uses_neighbouring_keys_and_keeps_case() -> None:
    rng = np.random.default_rng(0)
    assert set(QWERTY["g"]) == set("rtyfhvb") and set(QWERTY["q"]) == set("was")
    for cand in TRANSFORMS["qwerty"]("G", rng, False, False):
        assert cand.isupper() and cand.lower() in QWERTY["g"]


def test_seeded_and_distinct() -> None:
    names = ["swap", "substitute", "delete", "insert"]
    a = candidates("terrible", names, np.random.default_rng(5))
    b = candidates("terrible", names, np.random.default_rng(5))
    assert a == b and len(set(a)) == len(a) and "terrible" not in a
    assert candidates("a", names, np.random.default_rng(5)) == []
