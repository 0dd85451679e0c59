"""engine: textattack runs the same recipe through textattack.Attacker and agrees with our engine."""

from __future__ import annotations

import importlib.util

import pytest

from rai_ft.errors import UnsupportedError
from rai_ft.robustness.recipes import RECIPES
from tests.robustness.test_attack import LABELS, TEXTS, keyword_model

if importlib.util.find_spec("textattack") is None:  # importorskip would import it without our offline shims
    pytest.skip("textattack not installed (extra 'adv')", allow_module_level=True)


@pytest.mark.parametrize("name", ["deepwordbug", "pruthi"])
def test_textattack_engine_agrees_with_ours(name: str) -> None:
    from rai_ft.robustness.attack import run_attack
    from rai_ft.robustness.ta_engine import textattack_attack

    ours = run_attack(TEXTS, LABELS, keyword_model, RECIPES[name], progress=False)
    theirs = textattack_attack(TEXTS, LABELS, keyword_model, RECIPES[name], progress=False)
    assert [r.status for r in theirs.results] == [r.status for r in ours.results]
    for a, b in zip(ours.results, theirs.results):
        if a.status == "succeeded":
            assert a.changed == b.changed  # the same word was attacked


def test_textattack_engine_refuses_homoglyphs() -> None:
    from rai_ft.robustness.ta_engine import build_attack

    with pytest.raises(UnsupportedError, match="homoglyph"):
        build_attack(RECIPES["typo"], keyword_model)
