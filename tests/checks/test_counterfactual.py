"""The counterfactual and documentation checks inside a run on the tiny model."""

from __future__ import annotations

import random

import pandas as pd

from rai_ft.pipeline import run
from tests.conftest import FILLER, NEGATIVE_WORDS, POSITIVE_WORDS, spec_dict, write_yaml


def test_counterfactual_check_counts_only_texts_with_identity_terms(tmp_path, tiny_model_dir) -> None:
    rng = random.Random(0)
    rows = []
    for i in range(240):
        label = i % 2
        words = [rng.choice(FILLER) for _ in range(5)] + [rng.choice(POSITIVE_WORDS if label else NEGATIVE_WORDS)]
        if i % 3 == 0:
            words.insert(0, rng.choice(["he", "she", "his", "her"]))
        rows.append({"text": " ".join(words), "label": "pos" if label else "neg", "group": "ab"[i % 2]})
    csv = tmp_path / "d.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    policy = write_yaml(tmp_path / "p.yaml", {"name": "cf", "checks": {"counterfactual": {"min_counterfactuals": 5},
                                                                        "documentation": {}}})
    _, doc = run(write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, csv, policy)), tmp_path / "r", quiet=True)
    c = doc["checks"]["counterfactual"]
    assert c["status"] == "ok"
    test_texts_with_terms = c["details"]["n_texts"]
    assert 0 < test_texts_with_terms == c["details"]["n_counterfactuals"] < c["details"]["texts_considered"]
    rate = doc["metrics"]["fairness.counterfactual_flip_rate"]
    assert 0.0 <= rate <= 1.0
    d = doc["checks"]["documentation"]
    assert d["details"]["items"]["data licence"] is False  # a local CSV has no licence on record
    assert doc["metrics"]["documentation.completeness"] < 1.0


def test_misaligned_swap_lists_are_refused_when_the_policy_loads(tmp_path) -> None:
    import pytest

    from rai_ft.validation import load_policy
    from rai_ft.errors import SpecError

    path = write_yaml(tmp_path / "p.yaml", {"name": "x", "checks": {"counterfactual": {
        "swaps": {"gender": {"groups": ["m", "f"], "terms": [["he", "she", "they"]]}}}}})
    with pytest.raises(SpecError) as err:
        load_policy(path)
    assert str(path) in str(err.value) and "counterfactual" in str(err.value) and "2 entries" in str(err.value)
