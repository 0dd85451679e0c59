"""Check ``entity_robustness``: typo perturbations keep the tags, and a tagger that memorised entity spellings loses
more entity F1 under typos than its twin trained with typo'd copies of the same sentences."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from rai_ft.tasks.token_classification.perturb import Kind, perturb, plan_edits
from tests.conftest import write_yaml

PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank"]
PLACES = ["paris", "london", "berlin", "rome"]
TRANSFORMS = ["qwerty", "swap", "delete", "insert"]


def toy_sentences(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """Sentences naming a person and a place from a fixed small vocabulary, in a few contexts."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        p, loc = rng.choice(PEOPLE), rng.choice(PLACES)
        words = (["yesterday", p, "flew", "to", loc, "again"], [p, "likes", loc, "a", "lot"],
                 ["we", "met", p, "in", loc, "today"])[i % 3]
        out.append([(w, "B-person" if w == p else "B-location" if w == loc else "O") for w in words])
    return out


def typo_copies(sentences: list[list[tuple[str, str]]], seed: int, fraction: float = 1.0,
                kind: Kind = "entity") -> list[list[tuple[str, str]]]:
    """Each sentence again with a character edit in a *fraction* of its words of *kind* (tags unchanged)."""
    out = []
    for s in sentences:
        words, tags = [w for w, _ in s], [t for _, t in s]
        new, _ = perturb(words, tags, plan_edits(words, TRANSFORMS, seed), fraction, kind)
        out.append(list(zip(new, tags)))
    return out


def write_conll(path: Path, sentences: list[list[tuple[str, str]]]) -> Path:
    path.write_text("".join("".join(f"{w}\t{t}\n" for w, t in s) + "\n" for s in sentences), encoding="utf-8")
    return path


def _spec(folder: Path, model: Path, source: str, policy: dict) -> Path:
    write_yaml(folder / "policy.yaml", policy)
    spec = {"name": "ner", "task": "token-classification", "data": {"source": source}, "policy": "policy.yaml",
            "model": {"base": str(model), "adapter": {"method": "full"}},
            "train": {"epochs": 4, "batch_size": 16, "learning_rate": 3e-3, "max_length": 32, "seed": 13,
                      "early_stopping": None}}
    return write_yaml(folder / "spec.yaml", spec)


def train_and_audit(folder: Path, model: Path, train: list[list[tuple[str, str]]], audit_file: Path,
                    seed: int = 0) -> tuple[Path, dict]:
    """Train on *train*, then audit on *audit_file* with entity_robustness; the audit's folder and document."""
    from rai_ft.pipeline import audit, run

    folder.mkdir(parents=True, exist_ok=True)
    write_conll(folder / "train.conll", train)
    run_dir, _ = run(_spec(folder, model, "train.conll", {"name": "ner"}), folder / "out", quiet=True)
    (folder / "audit").mkdir(exist_ok=True)
    (folder / "audit" / "data.conll").write_text(audit_file.read_text(encoding="utf-8"), encoding="utf-8")
    policy = {"name": "ner", "checks": {"entity_robustness": {"bootstrap": 200, "seed": seed}}}
    audit_dir, doc = audit(_spec(folder / "audit", model, "data.conll", policy), run_dir / "model",
                           folder / "audits", quiet=True)
    assert doc is not None
    return audit_dir, doc


SENTENCE = ["yesterday", "alice", "flew", "to", "new", "york", ",", "again"]
TAGS = ["O", "B-person", "O", "O", "B-location", "I-location", "O", "O"]


def test_perturbation_keeps_words_and_tags_and_touches_only_the_kind_asked() -> None:
    plan = plan_edits(SENTENCE, TRANSFORMS, seed=3)
    entity_words = {i for i, t in enumerate(TAGS) if t != "O"}
    out = {}
    for kind in ("entity", "context", "all"):
        new, changed = perturb(SENTENCE, TAGS, plan, 1.0, kind)
        assert len(new) == len(SENTENCE) and all(" " not in w and w for w in new)
        assert changed == [i for i, (a, b) in enumerate(zip(SENTENCE, new)) if a != b]
        out[kind] = set(changed)
    assert out["entity"] == entity_words  # every entity word has a typo at fraction 1
    assert out["context"] == {0, 2, 3, 7}  # "," is left alone: one character, no letter
    assert out["all"] == out["entity"] | out["context"]
    assert perturb(SENTENCE, TAGS, plan, 0.3, "all")[1] == [i for i in out["all"] if plan.draws[i] < 0.3]


def test_perturbation_depends_on_the_sentence_and_seed_not_on_row_order() -> None:
    from rai_ft.checks.entity_robustness import EntityRobustnessCheck, EntityRobustnessConfig

    rows = [SENTENCE, ["bob", "likes", "rome", "a", "lot"], ["we", "met", "carol", "in", "paris"]]
    gold = [TAGS, ["B-person", "O", "B-location", "O", "O"], ["O", "O", "B-person", "O", "B-location"]]
    check = EntityRobustnessCheck(EntityRobustnessConfig(perturb_fraction=0.5))
    noisy, changed = check._perturbed(rows, gold)
    noisy_r, changed_r = check._perturbed(rows[::-1], gold[::-1])
    for kind in ("entity", "context", "all"):
        assert noisy_r[kind][::-1] == noisy[kind] and changed_r[kind][::-1] == changed[kind]
    assert plan_edits(SENTENCE, TRANSFORMS, 0) != plan_edits(SENTENCE, TRANSFORMS, 1)
    with pytest.raises(ValueError, match="unknown transformation"):
        EntityRobustnessConfig(transformations=["synonym"])


def test_a_sample_without_gold_entities_fails_closed() -> None:
    import numpy as np
    import pandas as pd

    from rai_ft.checks.base import AuditContext
    from rai_ft.checks.entity_robustness import MSG_NO_GOLD_ENTITY, EntityRobustnessCheck, EntityRobustnessConfig
    from rai_ft.data.loading import DataBundle
    from rai_ft.tasks.token_classification.data import TAGS as TAG_COL
    from rai_ft.tasks.token_classification.data import TOKENS
    from rai_ft.tasks.token_classification.predictions import TokenPredictions

    labels = ["O", "B-person", "I-person"]
    words = [["hello", "there"], ["good", "morning", "all"]]

    class AlwaysPerson:  # predicts an entity everywhere: false positives, but no gold entity to score against
        labels = ["O", "B-person", "I-person"]

        def tags(self, sentences: list[list[str]]) -> list[np.ndarray]:
            return [np.ones(len(s), dtype=np.int64) for s in sentences]

    test = pd.DataFrame({TOKENS: words, TAG_COL: [[0, 0], [0, 0, 0]], "__text__": [" ".join(w) for w in words]})
    data = DataBundle(train=test, validation=test, test=test, labels=labels, positive_index=0, sensitive=[])
    proba = [np.tile([0.0, 1.0, 0.0], (len(w), 1)) for w in words]
    preds = TokenPredictions.from_sentences([[0, 0], [0, 0, 0]], proba, labels)
    ctx = AuditContext(spec=None, policy=None, predictions=preds, texts=[], sensitive=pd.DataFrame(),  # type: ignore[arg-type]
                       predictor=AlwaysPerson(), data=data)  # type: ignore[arg-type]
    result = EntityRobustnessCheck(EntityRobustnessConfig()).run(ctx)
    assert all(v is None for v in result.metrics.values())
    assert set(result.metrics) == set(EntityRobustnessCheck.metric_patterns)
    assert [f.message for f in result.findings] == [MSG_NO_GOLD_ENTITY.format(n=2)]


def test_a_tagger_that_finds_no_entity_measures_no_drop_and_says_so() -> None:
    # a model that tags everything O loses nothing to typos: a drop of 0 must not pass a gate
    import pandas as pd

    from rai_ft.checks.base import AuditContext
    from rai_ft.checks.entity_robustness import MSG_NONE_FOUND, EntityRobustnessCheck, EntityRobustnessConfig
    from rai_ft.data.loading import DataBundle
    from rai_ft.tasks.token_classification.data import TAGS as TAG_COL
    from rai_ft.tasks.token_classification.data import TOKENS
    from rai_ft.tasks.token_classification.predictions import TokenPredictions

    labels = ["O", "B-person", "I-person"]
    words = [["we", "met", "alice"], ["bob", "smiled"]]
    gold = [[0, 0, 1], [1, 0]]

    class AllO:
        def tags(self, sentences: list[list[str]]) -> list[np.ndarray]:
            return [np.zeros(len(s), dtype=np.int64) for s in sentences]

    test = pd.DataFrame({TOKENS: words, TAG_COL: gold, "__text__": [" ".join(w) for w in words]})
    data = DataBundle(train=test, validation=test, test=test, labels=labels, positive_index=0, sensitive=[])
    preds = TokenPredictions.from_sentences(gold, [np.tile([1.0, 0.0, 0.0], (len(w), 1)) for w in words], labels)
    ctx = AuditContext(spec=None, policy=None, predictions=preds, texts=[], sensitive=pd.DataFrame(),  # type: ignore[arg-type]
                       predictor=AllO(), data=data)  # type: ignore[arg-type]
    result = EntityRobustnessCheck(EntityRobustnessConfig()).run(ctx)
    assert all(v is None for v in result.metrics.values())
    assert [f.message for f in result.findings] == [MSG_NONE_FOUND.format(n=2)]


def test_a_tagger_that_memorised_spellings_loses_more_f1_under_typos_than_its_twin(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    # planted defect: both models see the same 240 sentences twice. The defective one sees the exact copy again
    # (it memorises the spellings of its few names); the twin sees the copy with a typo in every word (same tags),
    # so it learns to tag by context and shape. Seen locally (data seeds 0, 1, 2): defective drop 0.245, 0.197,
    # 0.206; twin 0.074, 0.112, 0.104; context drop defective 0.128, 0.130, 0.110 vs twin 0.032, 0.060, 0.054
    # (with a differently seeded tiny model); with this fixture, seed 0: drop 0.281 vs 0.096, context 0.167 vs 0.038.
    # The twin's entity-word drop is not reliably lower (0.067 vs 0.079 at seed 1), so it is not asserted.
    base = toy_sentences(240, seed=0)
    audit_file = write_conll(tmp_path / "audit.conll", toy_sentences(300, seed=100))
    brittle_dir, doc = train_and_audit(tmp_path / "brittle", tiny_model_dir, base + base, audit_file)
    brittle = doc["metrics"]
    robust = train_and_audit(tmp_path / "robust", tiny_model_dir, base + typo_copies(base, 1, 1.0, "all"),
                             audit_file)[1]["metrics"]
    print({k: (round(brittle[k], 3), round(robust[k], 3)) for k in brittle if k.startswith("robustness.")})
    assert brittle["robustness.entity_f1_clean"] >= 0.95 and robust["robustness.entity_f1_clean"] >= 0.95
    assert brittle["robustness.entity_f1_drop"] > 0.10  # the warn_drop default flags it
    assert brittle["robustness.entity_f1_drop"] - robust["robustness.entity_f1_drop"] >= 0.05
    assert brittle["robustness.entity_f1_drop_context"] - robust["robustness.entity_f1_drop_context"] >= 0.03
    lo, hi = doc["metric_ci"]["robustness.entity_f1_drop"]
    assert lo <= brittle["robustness.entity_f1_drop"] <= hi
    assert [f["message"] for f in doc["findings"] if "typo" in f["message"]][0].startswith("entity F1 drops by")
    html = (brittle_dir / "report.html").read_text(encoding="utf-8")
    assert "Robustness to typos and word noise" in html and "Check: entity_robustness" not in html
