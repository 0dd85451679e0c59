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
    from rai_ft.checks.entity_robustness import MSG_NO_SWAP

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
    print({k: (brittle[k], robust[k]) for k in brittle if k.startswith("robustness.")})
    assert brittle["robustness.entity_f1_clean"] >= 0.95 and robust["robustness.entity_f1_clean"] >= 0.95
    assert brittle["robustness.entity_f1_drop"] > 0.10  # the warn_drop default flags it
    assert brittle["robustness.entity_f1_drop"] - robust["robustness.entity_f1_drop"] >= 0.05
    assert brittle["robustness.entity_f1_drop_context"] - robust["robustness.entity_f1_drop_context"] >= 0.03
    lo, hi = doc["metric_ci"]["robustness.entity_f1_drop"]
    assert lo <= brittle["robustness.entity_f1_drop"] <= hi
    assert [f["message"] for f in doc["findings"] if "typo" in f["message"]][0].startswith("entity F1 drops by")
    # every audit name is in the audit data's training split: no unseen replacement, so the swap is not measured
    assert brittle["robustness.entity_swap_f1_drop"] is None and MSG_NO_SWAP in [f["message"] for f in doc["findings"]]
    html = (brittle_dir / "report.html").read_text(encoding="utf-8")
    assert "Robustness to typos and word noise" in html and "Check: entity_robustness" not in html


def test_replace_entities_retags_the_new_words_and_keeps_the_context() -> None:
    from rai_ft.tasks.token_classification.perturb import replace_entities

    words, tags = replace_entities(SENTENCE, TAGS, [["mary", "jane"], ["oslo"]])
    assert words == ["yesterday", "mary", "jane", "flew", "to", "oslo", ",", "again"]
    assert tags == ["O", "B-person", "I-person", "O", "O", "B-location", "O", "O"]
    assert replace_entities(SENTENCE, TAGS, [None, None]) == (SENTENCE, TAGS)
    assert replace_entities(SENTENCE, TAGS, [None, ["oslo"]])[0][1] == "alice"


def test_entity_pool_leaves_out_seen_entities_and_ignores_row_order() -> None:
    from rai_ft.tasks.token_classification.perturb import draw_replacements, entity_pool

    rows = [(["we", "met", "Zoe"], ["O", "O", "B-person"]), (["ask", "alice"], ["O", "B-person"]),
            (["in", "new", "york"], ["O", "B-location", "I-location"]), (["yo", "zoe"], ["O", "B-person"])]
    pool = entity_pool(rows, exclude=["Alice"])
    assert pool == {"location": [("new", "york")], "person": [("Zoe",)]}  # case-folded: one zoe, alice excluded
    assert entity_pool(rows[::-1], exclude=["alice"]) == {"location": [("new", "york")], "person": [("zoe",)]}
    # never the entity's own text; None when its type offers nothing else
    assert draw_replacements(["hi", "zoe"], ["O", "B-person"], pool) == [None]
    assert draw_replacements(SENTENCE, TAGS, pool) == [("Zoe",), None]


FRESH = ["tamsin", "odile", "rupert", "ingrid", "lucian", "marisol", "anders", "beatrix", "cyrus", "delphine",
         "esmond", "fenella", "gideon", "honora", "ignatius", "jocasta", "kester", "lavinia", "magnus", "nerys",
         "osric", "perpetua", "quentin", "rosalind", "silas", "theodora", "ulric", "vashti", "wendell", "xanthe"]
FRESH_PLACES = ["oslo", "lima", "quito", "hanoi", "dakar", "perth", "tunis", "riga", "accra", "bern", "kyiv", "minsk",
                "nairobi", "manila", "havana", "jakarta", "santiago", "bogota", "caracas", "luanda", "tbilisi", "baku",
                "tallinn", "vilnius", "zagreb", "skopje", "tirana", "valletta", "reykjavik", "helsinki"]
CONTEXTS = (["yesterday", "{p}", "flew", "to", "{l}", "again"], ["{p}", "likes", "{l}", "a", "lot"],
            ["we", "met", "{p}", "in", "{l}", "today"])
TRAINED = ["harriet", "oswald", "winifred", "barnaby", "clementine", "desmond", "eudora", "fergus", "gwendolyn",
           "horace", "imogen", "jasper", "keziah", "leopold", "mabel", "nigel", "ottilie", "percival", "rosamund",
           "sebastian", "tabitha", "ursula", "vernon", "wilhelmina"]
TRAINED_PLACES = ["cairo", "delhi", "tokyo", "seoul", "milan", "dublin", "vienna", "prague", "lisbon", "madrid",
                  "athens", "warsaw", "boston", "denver", "austin", "sydney", "geneva", "naples", "munich", "lagos",
                  "mumbai", "karachi", "dhaka", "lyon", "porto", "seville", "toronto", "ottawa", "chicago", "phoenix"]
FILLER = ["so", "the", "and", "then", "really", "it", "was", "just", "very", "up", "out", "now"] + sorted(
    {w for c in CONTEXTS for w in c if "{" not in w})  # the template words too: the defect knows them as O


def templated(n: int, people: list[str], places: list[str], seed: int) -> list[list[tuple[str, str]]]:
    """Template sentences: the context says which word is the person and which the place."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        p, loc = rng.choice(people), rng.choice(places)
        words = [w.format(p=p, l=loc) for w in CONTEXTS[i % 3]]
        out.append([(w, "B-person" if w == p else "B-location" if w == loc else "O") for w in words])
    return out


def name_lists(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """The six known names and four places amid random filler: only the words themselves give the type."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 6))]
        p, loc = rng.choice(PEOPLE), rng.choice(PLACES)
        words.insert(rng.randint(0, len(words)), p)
        words.insert(rng.randint(0, len(words)), loc)
        out.append([(w, "B-person" if w == p else "B-location" if w == loc else "O") for w in words])
    return out


def test_a_tagger_that_learnt_a_list_of_names_loses_more_f1_when_entities_are_swapped(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    from rai_ft.fairness.names import NAMES

    # planted defect: the defective tagger saw its six names and four places amid random filler, so it can only
    # recognise those words; the twin saw 60 other names and 30 other places in sentences whose context says where
    # the person is. The audit data (template sentences) mostly names the six known people and four places,
    # sometimes one of 30 fresh names or 30 fresh places; its training split holds every known one, so the swap
    # brings in fresh ones only.
    # Seen locally over six data seeds (these are the second): swap drop 0.59-0.69 for the defect, 0.04-0.07 for the
    # twin but once 0.122, so the margin asserted is the 0.3 every seed cleared, beside the warn default.
    audit = templated(300, PEOPLE, PLACES, seed=201)
    for k, s in enumerate(audit):  # each fresh name and place once: most of them land outside the training split
        if k % 10 == 0:
            audit[k] = [(FRESH[k // 10] if t == "B-person" else w, t) for w, t in s]
        elif k % 10 == 5:
            audit[k] = [(FRESH_PLACES[k // 10] if t == "B-location" else w, t) for w, t in s]
    audit_file = write_conll(tmp_path / "audit.conll", audit)
    brittle_dir, doc = train_and_audit(tmp_path / "brittle", tiny_model_dir, name_lists(480, seed=2), audit_file)
    brittle = doc["metrics"]
    people = TRAINED + [n.lower() for names in NAMES.values() for n in names]
    robust = train_and_audit(tmp_path / "robust", tiny_model_dir,
                             templated(480, PEOPLE + people, PLACES + TRAINED_PLACES, seed=3), audit_file)[1]["metrics"]
    print({k: (round(brittle[k], 3), round(robust[k], 3)) for k in brittle if "swap" in k or k.endswith("clean")})
    assert brittle["robustness.entity_f1_clean"] >= 0.8 and robust["robustness.entity_f1_clean"] >= 0.9
    assert brittle["robustness.entity_swap_f1_drop"] > 0.10  # the warn_swap_drop default flags it
    assert robust["robustness.entity_swap_f1_drop"] <= 0.10
    assert brittle["robustness.entity_swap_f1_drop"] - robust["robustness.entity_swap_f1_drop"] >= 0.3
    lo, hi = doc["metric_ci"]["robustness.entity_swap_f1_drop"]
    assert lo <= brittle["robustness.entity_swap_f1_drop"] <= hi
    assert any(f["message"].startswith("entity F1 drops by") and "unseen one of its type" in f["message"]
               for f in doc["findings"])
    html = (brittle_dir / "report.html").read_text(encoding="utf-8")
    assert "replaced by an unseen entity" in html
    card = (brittle_dir / "model_card.md").read_text(encoding="utf-8")
    drop = brittle["robustness.entity_swap_f1_drop"]
    assert "## Robustness" in card and "never holds: entity F1" in card and f"(drop {drop:.4g}" in card


def test_examples_show_changed_predictions_then_sentences_with_entities() -> None:
    from rai_ft.checks.entity_robustness import EntityRobustnessCheck, EntityRobustnessConfig

    words = [["so", "it", "goes"], ["we", "met", "alice"], ["bob", "smiled"]]
    gold = [["O", "O", "O"], ["O", "O", "B-person"], ["B-person", "O"]]
    found = [["O", "O", "O"], ["O", "O", "B-person"], ["O", "O"]]  # the typo made bob's entity vanish
    noisy = [["si", "ti", "goes"], ["ew", "met", "alice"], ["bbo", "smiled"]]
    check = EntityRobustnessCheck(EntityRobustnessConfig(examples=3))
    shown = check._examples(words, gold, gold, noisy, found, [[0, 1], [0], [0]])
    assert [x["words"] for x in shown] == [words[2], words[1], words[0]]
