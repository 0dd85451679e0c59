"""The membership-inference shift control: members and non-members told apart by their text alone."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from rai_ft.checks.base import AuditContext, Predictions
from rai_ft.checks.privacy import MSG_SHIFT, PrivacyCheck, PrivacyConfig
from rai_ft.privacy.shift import MIN_TEXTS, text_shift_auc
from tests.conftest import make_sentiment_frame


def _tweetish(texts: list[str], seed: int) -> list[str]:
    """The same kind of text from another source: handles, links and hashtags, as WNUT-17's test posts have."""
    rng = random.Random(seed)
    return [f"@user{rng.randint(1, 99)} {t} #{rng.choice(['news', 'fail', 'win'])} "
            f"https://t.co/{rng.randint(10**5, 10**6)}" for t in texts]


def test_same_distribution_is_about_chance_and_a_planted_shift_is_seen() -> None:
    a = make_sentiment_frame(200, seed=1)["text"].tolist()
    b = make_sentiment_frame(200, seed=2)["text"].tolist()
    same = text_shift_auc(a, b)
    shifted = text_shift_auc(a, _tweetish(b, 0))
    print({"same": same, "shifted": shifted})
    assert same is not None and abs(same - 0.5) < 0.1
    assert shifted is not None and shifted > 0.9
    assert text_shift_auc(a[:MIN_TEXTS - 1], b) is None  # too few to estimate: no number


class _Constant:
    def proba(self, texts: list[str], desc: str = "", progress: bool = True) -> np.ndarray:
        return np.tile([0.5, 0.5], (len(texts), 1))


def _context(train: list[str], test: list[str]) -> AuditContext:
    y = np.arange(len(test)) % 2
    preds = Predictions(y_true=y, y_pred=y, proba=np.tile([0.5, 0.5], (len(test), 1)), labels=["neg", "pos"],
                        positive_index=1)
    return AuditContext(spec=None, policy=None, predictions=preds, texts=test, sensitive=pd.DataFrame(),  # type: ignore[arg-type]
                        predictor=_Constant(), train_texts=train, train_labels=list(np.arange(len(train)) % 2))  # type: ignore[arg-type]


def test_the_check_warns_when_non_members_come_from_elsewhere_and_not_otherwise() -> None:
    train = make_sentiment_frame(200, seed=1)["text"].tolist()
    test = make_sentiment_frame(200, seed=2)["text"].tolist()
    check = PrivacyCheck(PrivacyConfig(pii=False, max_examples=200))
    clean = check.run(_context(train, test))
    shifted = check.run(_context(train, _tweetish(test, 0)))
    # a model that gives every text the same score leaks nothing: the attack's AUC is 0.5 in both cases
    assert clean.metrics["privacy.mia_auc_loss"] == shifted.metrics["privacy.mia_auc_loss"] == 0.5
    assert clean.metrics["privacy.mia_shift_auc"] < 0.6 < shifted.metrics["privacy.mia_shift_auc"]
    auc = shifted.metrics["privacy.mia_shift_auc"]
    assert [f.message for f in shifted.findings] == [MSG_SHIFT.format(auc=auc, limit=0.6)]
    assert not clean.findings


def test_row_order_does_not_change_the_shift_auc() -> None:
    train = make_sentiment_frame(120, seed=1)["text"].tolist()
    test = _tweetish(make_sentiment_frame(120, seed=2)["text"].tolist(), 0)
    check = PrivacyCheck(PrivacyConfig(pii=False, max_examples=100))
    a = check.run(_context(train, test)).metrics["privacy.mia_shift_auc"]
    b = check.run(_context(train[::-1], test[::-1])).metrics["privacy.mia_shift_auc"]
    assert a == b
