"""Are the membership-inference audit's members and non-members from the same distribution?

A membership-inference AUC compares the model's scores on training examples (members) with its scores on held-out
ones (non-members). It measures memorisation only when the two sets differ in nothing but membership. When the
held-out split comes from elsewhere (WNUT-17's test split is from later posts and other sites than its training
split), the scores differ for that reason too, and the AUC overstates or hides the leakage: a tagger that learnt
nothing (every word ``O``) scored 0.603 there.

The control: how well does a classifier that never sees the model tell members from non-members by their text
alone? :func:`text_shift_auc` is the cross-validated ROC AUC of a logistic regression on character n-gram TF-IDF
(inside each fold, so no fold sees its own test texts). About 0.5: same distribution; well above: the MIA AUC is
confounded. A domain-classifier test of shift, as in Rabanser, Günnemann & Lipton 2019 ("Failing Loudly").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["text_shift_auc", "MIN_TEXTS"]

MIN_TEXTS = 20  # per side: fewer, and a five-fold estimate says nothing


def text_shift_auc(members: Sequence[str], nonmembers: Sequence[str], seed: int = 0,
                   folds: int = 5) -> float | None:
    """Cross-validated AUC of telling *members* from *nonmembers* by their text (0.5 = indistinguishable), or
    None with fewer than :data:`MIN_TEXTS` texts on either side. Folds follow the order given (pass texts in an
    order-free order, e.g. :func:`rai_ft.sampling.order_free_sample`'s)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    if min(len(members), len(nonmembers)) < MIN_TEXTS:
        return None
    texts = list(members) + list(nonmembers)
    y = np.r_[np.ones(len(members), dtype=int), np.zeros(len(nonmembers), dtype=int)]
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True),
                          LogisticRegression(C=1.0, max_iter=1000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, texts, y, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))
