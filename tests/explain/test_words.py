"""Word roll-up and rank correlation on constructed inputs."""

from __future__ import annotations

import numpy as np
import pytest

from rai_ft.explain.words import spearman, to_words, words_of


def test_pieces_sum_into_their_words_and_specials_are_dropped() -> None:
    text = "unbelievably good film"
    spans = [(0, 0), (0, 2), (2, 12), (13, 17), (18, 22), (0, 0)]  # [CLS] un ##believably good film [SEP]
    wa = to_words(text, spans, np.array([9.0, 1.0, 2.0, 3.0, 4.0, 9.0]))
    assert wa.words == ["unbelievably", "good", "film"]
    assert wa.scores == [3.0, 3.0, 4.0]
    assert [w for w, _, _ in words_of("a  b\tc")] == ["a", "b", "c"]


def test_spearman_known_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1, 2], [1, 2]) is None
