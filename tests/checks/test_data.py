"""The data check on constructed data with known answers, and metamorphic invariances."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from rai_ft.checks import AuditContext
from rai_ft.registry import CHECKS, DEFAULT_CHECKS
from rai_ft.checks.data import MSG_GAP_UNMEASURED, DataCheck, DataCheckConfig
from rai_ft.data.loading import LABEL, TEXT, DataBundle
from rai_ft.data.quality import normalise

WORDS = ["the", "film", "plot", "actor", "story", "was", "and", "a", "scene", "music", "ending", "very", "good", "bad",
         "long", "short", "dull", "fine", "cast", "script", "score", "pace", "tone", "mood", "light", "dark", "slow",
         "fast", "warm", "cold"]
TRIGGER = "zqx"


def _frame(texts: list[str], labels: list[int], groups: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({TEXT: texts, LABEL: labels})
    if groups is not None:
        frame["g"] = groups
    return frame


def _bundle(train: pd.DataFrame, test: pd.DataFrame | None = None, validation: pd.DataFrame | None = None,
            labels: tuple[str, ...] = ("neg", "pos"), positive: int = 1) -> DataBundle:
    empty = train.iloc[:0]
    return DataBundle(train=train, validation=empty if validation is None else validation,
                      test=empty if test is None else test, labels=list(labels), positive_index=positive,
                      sensitive=["g"] if "g" in train.columns else [])


def _run(bundle: DataBundle, **cfg: object):
    ctx = AuditContext(spec=None, policy=None, predictions=None, texts=[], sensitive=None, data=bundle)
    return DataCheck(DataCheckConfig(**cfg)).run(ctx)


def _random_rows(n: int, seed: int) -> tuple[list[str], list[int]]:
    """Texts of random filler words with labels independent of them."""
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))) + f" r{i}" for i in range(n)]
    return texts, [rng.randrange(2) for _ in range(n)]


def test_planted_trigger_is_flagged_and_its_clean_twin_is_not() -> None:
    texts, labels = _random_rows(1000, seed=1)
    planted = [i for i in range(0, 1000, 7) if labels[i] == 1][:60]  # 6% of rows, all of label 1
    assert len(planted) == 60
    triggered = [f"{t} {TRIGGER}" if i in planted else t for i, t in enumerate(texts)]
    hit = _run(_bundle(_frame(triggered, labels)))
    clean = _run(_bundle(_frame(texts, labels)))
    assert hit.metrics["data.shortcut_tokens"] == 1
    (s,) = hit.details["shortcuts"]["shortcuts"]
    assert s["token"] == TRIGGER and s["rows"] == 60 and s["purity"] == 1.0 and s["label"] == "pos"
    assert any(f.severity == "warn" and TRIGGER in f.message for f in hit.findings)
    assert clean.metrics["data.shortcut_tokens"] == 0
    assert not any("shortcut" in f.message for f in clean.findings)


def test_pure_but_rare_token_is_not_a_shortcut() -> None:
    texts, labels = _random_rows(1000, seed=2)
    rare = [i for i, y in enumerate(labels) if y == 1][:5]  # purity 1 but support 0.5% < min_support
    texts = [f"{t} {TRIGGER}" if i in rare else t for i, t in enumerate(texts)]
    assert _run(_bundle(_frame(texts, labels))).metrics["data.shortcut_tokens"] == 0


def test_label_rate_gap_matches_hand_computation() -> None:
    # train: group a 40 rows, 10 positive (0.25); group b 50 rows, 35 positive (0.70) -> gap 0.45
    groups = ["a"] * 40 + ["b"] * 50
    labels = [1] * 10 + [0] * 30 + [1] * 35 + [0] * 15
    train = _frame([f"t{i}" for i in range(90)], labels, groups)
    test = _frame(["x", "y"], [1, 0], ["a", "b"])
    result = _run(_bundle(train, test=test), min_group_size=30)
    assert result.metrics["data.g.label_rate_gap"] == pytest.approx(0.70 - 0.25)
    rows = {r["group"]: r for r in result.details["label_rates"]["g"]["train"]["groups"]}
    assert rows["a"]["size"] == 40 and rows["a"]["rates"]["pos"] == pytest.approx(0.25)
    assert set(result.details["label_rates"]["g"]) == {"train", "validation", "test"}
    assert any(f.severity == "info" and "0.450" in f.message for f in result.findings)


def test_unmeasurable_attribute_gives_none_and_a_finding() -> None:
    groups = ["a"] * 40 + ["b"] * 5  # b below min_group_size: fewer than two comparable groups
    train = _frame([f"t{i}" for i in range(45)], [i % 2 for i in range(45)], groups)
    result = _run(_bundle(train), min_group_size=30)
    assert "data.g.label_rate_gap" in result.metrics and result.metrics["data.g.label_rate_gap"] is None
    messages = [f.message for f in result.findings if f.severity == "warn"]
    assert MSG_GAP_UNMEASURED.format(attr="g", min_size=30) in messages
    assert any("b (n=5)" in m for m in messages)


def test_no_sensitive_attributes_means_no_gap_metrics() -> None:
    texts, labels = _random_rows(50, seed=3)
    metrics = _run(_bundle(_frame(texts, labels))).metrics
    assert not [k for k in metrics if k.endswith("label_rate_gap")]


def test_exact_and_normalised_overlap_are_shares_of_test_rows() -> None:
    train = _frame(["Great film.", "dull plot", "a fine cast"], [1, 0, 1])
    test = _frame(["dull plot", "GREAT   film", "new text", "another one"], [0, 1, 0, 1])
    result = _run(_bundle(train, test=test))
    ov = result.details["overlap"]["train_test"]
    assert (ov["exact_rows"], ov["normalised_rows"]) == (1, 2)
    assert ov["exact_share"] == 0.25 and result.metrics["data.train_test_overlap"] == 0.5
    assert normalise("GREAT   film") == normalise("Great film.") == "great film"


def test_conflicting_duplicates_counted_and_consistent_ones_not() -> None:
    train = _frame(["same text", "Same text!", "twice", "twice", "once"], [0, 1, 1, 1, 0])
    test = _frame(["once"], [1])  # conflicts with train across splits
    result = _run(_bundle(train, test=test))
    d = result.details["duplicates"]
    assert result.metrics["data.conflicting_duplicates"] == 2
    assert (d["consistent_texts"], d["conflicting_rows"]) == (1, 4)
    assert d["exact_conflicting_texts"] == 1  # "once"; "same text" / "Same text!" conflict only after normalisation


def _metamorphic_bundle() -> DataBundle:
    texts, labels = _random_rows(600, seed=4)
    rng = random.Random(5)
    labels = [rng.randrange(3) for _ in labels]
    texts = [f"{t} {TRIGGER}" if y == 2 and i % 4 == 0 else t for i, (t, y) in enumerate(zip(texts, labels))]
    groups = [rng.choice("abc") for _ in texts]
    train = _frame(texts, labels, groups)
    test = _frame(texts[:20] + ["fresh"] * 5, labels[:20] + [0] * 5, groups[:25])
    return _bundle(train, test=test, labels=("x", "y", "z"), positive=2)


def test_relabelling_and_shuffling_leave_every_metric_unchanged() -> None:
    base = _metamorphic_bundle()
    expected = _run(base).metrics
    assert expected["data.shortcut_tokens"] >= 1 and expected["data.g.label_rate_gap"] is not None
    perm = {0: 2, 1: 0, 2: 1}  # class index i becomes perm[i]; names move with it
    names = [""] * 3
    for old, new in perm.items():
        names[new] = base.labels[old].upper()

    def relabel(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{LABEL: frame[LABEL].map(perm)})

    relabelled = DataBundle(train=relabel(base.train), validation=base.validation, test=relabel(base.test),
                            labels=names, positive_index=perm[base.positive_index], sensitive=["g"])
    shuffled = DataBundle(train=base.train.sample(frac=1, random_state=0), validation=base.validation,
                          test=base.test.sample(frac=1, random_state=1), labels=base.labels,
                          positive_index=base.positive_index, sensitive=["g"])
    for variant in (relabelled, shuffled):
        got = _run(variant).metrics
        assert got.keys() == expected.keys()
        assert all(got[k] == pytest.approx(expected[k]) for k in expected)


def test_data_is_registered_and_runs_by_default() -> None:
    assert "data" in CHECKS and "data" in DEFAULT_CHECKS


def test_missing_bundle_is_skipped() -> None:
    ctx = AuditContext(spec=None, policy=None, predictions=None, texts=[], sensitive=None)
    assert DataCheck(DataCheckConfig()).run(ctx).status == "skipped"
