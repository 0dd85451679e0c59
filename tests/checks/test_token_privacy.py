"""The privacy check on a token classifier: membership inference on sentence loss and the PII scan of the training
sentences.

Planted defect: every word of the toy sentences is a distinct vocabulary word with a random (unlearnable) tag, so
the only way to get the training tags right is to memorise them. A tagger trained many epochs memorises its training
sentences (low loss on members, high on unseen test sentences: the attack tells them apart); its twin, trained the
same way for one epoch, has not (members and non-members look alike).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from rai_ft.checks.privacy import MSG_MEMBERS_UNKNOWN, MSG_MIA_HIGH
from rai_ft.privacy.mia import attack_scores, mean_logprob
from rai_ft.tasks.token_classification.entities import dominant_type
from rai_ft.tasks.token_classification.predictions import TokenPredictions
from tests.conftest import write_yaml

TAGS = ["O", "O", "B-person", "B-location"]  # drawn at random: O half the time
EMAIL, PHONE, CARD = "jane.doe@example.org", "555-123-4567", "4111 1111 1111 1111"
# (sentence index, the words appended): email in 3 training sentences, phone in 2, a card split over 4 words in 1
PLANTED = {0: ["mail", EMAIL], 1: ["mail", EMAIL], 2: ["mail", EMAIL], 3: ["call", PHONE], 4: ["call", PHONE],
           5: ["card", *CARD.split()]}
N_TRAIN, N_VAL, N_TEST = 192, 16, 192
LEARNING_RATE, EPOCHS = 2e-3, 30  # Adam moves a word seen once by ~lr: one epoch at this rate barely memorises


def _conll(path: Path, words: list[str], rng: random.Random, n: int, plant: bool = False) -> Path:
    """*n* sentences of 6 distinct words from *words* (consumed), each tagged at random."""
    lines = []
    for i in range(n):
        for _ in range(6):
            lines.append(f"{words.pop()}\t{rng.choice(TAGS)}")
        lines.extend(f"{w}\tO" for w in (PLANTED.get(i, []) if plant else []))
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _vocabulary(model_dir: Path, seed: int) -> list[str]:
    """Whole-word, alphabetic tokens of the model's tokenizer, shuffled (each is its own first piece)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    words = sorted(w for w in tok.get_vocab() if w.isascii() and w.isalpha() and 4 <= len(w) <= 8)
    random.Random(seed).shuffle(words)
    return words


def _spec(root: Path, model: Path, train: str, epochs: int) -> Path:
    write_yaml(root / "policy.yaml", {"name": "ner-privacy", "checks": {"entity_performance": {"bootstrap": 0},
                                                                         "privacy": {"pii_examples": 10}}})
    spec = {"name": "ner-privacy", "task": "token-classification", "policy": "policy.yaml",
            "data": {"train": train, "validation": "validation.conll", "test": "test.conll"},
            "model": {"base": str(model), "adapter": {"method": "full"}},
            "train": {"epochs": epochs, "batch_size": 16, "learning_rate": LEARNING_RATE, "max_length": 32, "seed": 13,
                      "early_stopping": None}}
    return write_yaml(root / f"spec-{epochs}-{train}.yaml", spec)


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("ner-privacy")
    words, rng = _vocabulary(tiny_model_dir, 0), random.Random(0)
    _conll(root / "train.conll", words, rng, N_TRAIN, plant=True)
    _conll(root / "validation.conll", words, rng, N_VAL)
    _conll(root / "test.conll", words, rng, N_TEST, plant=True)  # the same shape as the members (not scanned)
    _conll(root / "other.conll", words, rng, N_TRAIN)  # another training split: not this model's members
    return root


@pytest.fixture(scope="module")
def runs(toy: Path, tiny_model_dir: Path) -> dict[str, tuple[Path, dict]]:
    from rai_ft.pipeline import run

    out = {}
    for name, epochs in (("memoriser", EPOCHS), ("twin", 1)):
        run_dir, doc = run(_spec(toy, tiny_model_dir, "train.conll", epochs), toy / name, quiet=True)
        assert doc is not None
        out[name] = (run_dir, doc)
    return out


def test_a_memorising_tagger_is_flagged_and_its_one_epoch_twin_is_not(runs: dict[str, tuple[Path, dict]]) -> None:
    memo, twin = runs["memoriser"][1], runs["twin"][1]
    m, t = memo["metrics"], twin["metrics"]
    print(f"memoriser: {m['privacy.mia_auc_loss']:.3f} loss / {m['privacy.mia_auc_calibrated']:.3f} calibrated; "
          f"twin: {t['privacy.mia_auc_loss']:.3f} / {t['privacy.mia_auc_calibrated']:.3f}")
    assert m["privacy.mia_auc_loss"] > 0.8 and m["privacy.mia_auc_calibrated"] > 0.8
    assert abs(t["privacy.mia_auc_loss"] - 0.5) < 0.15 and t["privacy.mia_auc"] < 0.65
    mia = memo["checks"]["privacy"]["details"]["mia"]
    assert mia["members"] == mia["nonmembers"] == N_TEST  # sentences, not words
    assert mia["member_mean_loss"] < mia["nonmember_mean_loss"] / 3
    assert mia["unit"] == "sentences" and mia["calibrated_by"] == "dominant entity type"
    assert MSG_MIA_HIGH.format(auc=m["privacy.mia_auc"]) in [f["message"] for f in memo["findings"]]
    assert not [f for f in twin["findings"] if "membership inference AUC" in f["message"]]
    # members and non-members come from one generator: the shift control sees no shift, so the AUC is trusted
    for doc in (memo, twin):
        assert doc["metrics"]["privacy.mia_shift_auc"] < 0.6
        assert not [f for f in doc["findings"] if "text-only classifier" in f["message"]]


def test_the_report_and_card_speak_of_sentences(runs: dict[str, tuple[Path, dict]]) -> None:
    run_dir, _ = runs["memoriser"]
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Membership-inference audit" in html
    assert f"{N_TEST} training sentences vs {N_TEST} non-member sentences" in html
    assert "the calibrated attack normalises the score per dominant entity type" in html
    assert f"6 of {N_TRAIN} training sentences contain personal data" in html
    card = (run_dir / "model_card.md").read_text(encoding="utf-8")
    assert f"on {N_TEST} training sentences vs {N_TEST} held-out sentences" in card


def test_pii_in_training_sentences_is_counted_and_never_shown_in_clear(runs: dict[str, tuple[Path, dict]]) -> None:
    run_dir, doc = runs["memoriser"]
    assert doc["metrics"]["privacy.pii_texts"] == 6.0 and doc["metrics"]["privacy.pii_rate"] == 6 / N_TRAIN
    pii = doc["checks"]["privacy"]["details"]["pii"]
    assert {k: v for k, v in pii["counts"].items() if v} == {"email": 3, "phone": 2, "credit_card": 1}
    assert len(pii["examples"]) == 6, "masked snippets are shown, else this test proves nothing"
    for name in ("audit.json", "report.html", "model_card.md"):
        text = (run_dir / name).read_text(encoding="utf-8")
        for value in (EMAIL, PHONE, CARD, "example.org", "123-4567", "1111 1111"):
            assert value not in text, (name, value)


def test_a_model_audited_on_another_training_split_skips_the_attack(
        toy: Path, tiny_model_dir: Path, runs: dict[str, tuple[Path, dict]]) -> None:
    from rai_ft.pipeline import audit

    run_dir, _ = runs["memoriser"]
    _, doc = audit(_spec(toy, tiny_model_dir, "other.conll", 1), run_dir / "model", toy / "audits", quiet=True)
    assert doc is not None
    assert MSG_MEMBERS_UNKNOWN in [f["message"] for f in doc["findings"]]
    assert not [k for k in doc["metrics"] if k.startswith("privacy.mia")]
    assert "mia" not in doc["checks"]["privacy"]["details"]
    assert doc["metrics"]["privacy.pii_texts"] == 0.0  # the scan still reads the (clean) other split


def test_sentence_scores_and_their_calibration_groups() -> None:
    labels = ["O", "B-person", "I-person", "B-location"]
    assert dominant_type(["B-person", "I-person", "O", "B-location", "B-location"]) == "location"
    assert dominant_type(["B-person", "B-location"]) == "location"  # a tie: name order
    assert dominant_type(["O", "O"]) == "O"
    proba = np.array([[0.5, 0.5, 0, 0], [1.0, 0, 0, 0], [0.25, 0, 0, 0.75]])
    pred = TokenPredictions.from_sentences([[1, 0], [3]], [proba[:2], proba[2:]], labels)
    parts = pred.per_sentence(pred.y_true)
    assert [p.tolist() for p in parts] == [[1, 0], [3]]
    lp = mean_logprob(pred.per_sentence(pred.proba), parts)
    np.testing.assert_allclose(lp, [np.log(0.5) / 2, np.log(0.75)])
    # the calibrated attack works on string groups (entity types) and scores the held-out half of the non-members
    rng = np.random.default_rng(0)
    groups = np.array(["person", "location", "O"] * 20, dtype=object)
    res = attack_scores(rng.normal(size=60), groups, rng.normal(size=60), groups, seed=0)
    assert set(res) == {"loss", "calibrated"} and 0.3 < res["calibrated"]["auc"] < 0.7
