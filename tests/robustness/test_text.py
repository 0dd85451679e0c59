"""WordText keeps separators byte for byte; edit distance is Levenshtein."""

from __future__ import annotations

import pytest

from rai_ft.robustness.text import WordText, edit_distance


@pytest.mark.parametrize("text", ["", "  Hello,   world!  ", "don't stop -- well-made; 3 stars.", "…ünïcode text"])
def test_parse_render_round_trip(text: str) -> None:
    assert WordText.parse(text).render() == text


def test_replace_changes_one_word_and_keeps_punctuation() -> None:
    wt = WordText.parse("A great, great film!")
    assert wt.words == ("A", "great", "great", "film")
    assert wt.replace(2, "graet").render() == "A great, graet film!"


@pytest.mark.parametrize(("a", "b", "d"), [("kitten", "sitting", 3), ("great", "graet", 2), ("", "abc", 3),
                                          ("same", "same", 0), ("flaw", "lawn", 2)])
def test_edit_distance(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d == edit_distance(b, a)
