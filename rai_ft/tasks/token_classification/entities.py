"""Entity-level scores on IOB2 tags, with seqeval's default (conlleval) semantics.

An entity is a maximal run ``B-X I-X ... I-X``. As in conlleval and ``seqeval`` (default mode, not
``strict``), an ``I-X`` that follows ``O``, the sentence start or another type starts a new entity, and a
type change inside a run ends one entity and starts another. An entity counts as correct only when its
type, start and end all match. Entities never cross sentences.

Spans are ``(type, start, end)`` with ``end`` *exclusive* (``tokens[start:end]``); seqeval writes the end
inclusive, which changes nothing in the scores.

Zero division: precision with no predicted entity, recall with no true entity, and token accuracy with no
token are ``zero_division`` (default 0.0, what seqeval returns, without its warning); F1 is
``2pr / (p + r)`` and 0.0 when ``p + r == 0``. The report's macro average over no type at all is
``zero_division`` too (seqeval gives NaN there). Pass ``zero_division=float("nan")`` to see undefined values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rai_ft.errors import SpecError
from rai_ft.tasks.token_classification.conll import check_tag

__all__ = [
    "Entity",
    "extract_entities",
    "dominant_type",
    "entity_scores",
    "classification_report",
    "sentence_counts",
    "type_recall",
    "prf",
    "TRUE",
    "PRED",
    "CORRECT",
    "MSG_NOT_IOB2",
    "MSG_SENTENCE_COUNT",
    "MSG_SENTENCE_LENGTH",
]

Entity = tuple[str, int, int]
Tags = Sequence[str]
TRUE, PRED, CORRECT = 0, 1, 2  # the columns of sentence_counts

MSG_NOT_IOB2 = "tag {tag!r} is not IOB2 (expected O, B-<type> or I-<type>); convert it with conll.to_iob2"
MSG_SENTENCE_COUNT = "{true} true sentence(s) but {pred} predicted"
MSG_SENTENCE_LENGTH = "sentence {index}: {true} true tag(s) but {pred} predicted"


def _iob2(tag: str) -> tuple[str, str]:
    try:
        prefix, kind = check_tag(tag)
    except SpecError:
        prefix, kind = "", ""
    if prefix not in ("O", "B", "I"):
        raise ValueError(MSG_NOT_IOB2.format(tag=tag))
    return prefix, kind


def extract_entities(tags: Tags) -> list[Entity]:
    """The entities of one sentence's IOB2 tags, in order, as ``(type, start, end)`` (end exclusive)."""
    entities: list[Entity] = []
    start: int | None = None
    current = ""
    for i, tag in enumerate(tags):
        prefix, kind = _iob2(tag)
        if start is not None and (prefix != "I" or kind != current):
            entities.append((current, start, i))
            start = None
        if prefix == "B" or (prefix == "I" and start is None):
            start, current = i, kind
    if start is not None:
        entities.append((current, start, len(tags)))
    return entities


def dominant_type(tags: Tags, none: str = "O") -> str:
    """The entity type a sentence holds most often (ties: the first in name order); *none* if it holds none."""
    counts = Counter(kind for kind, _, _ in extract_entities(tags))
    return min(counts, key=lambda k: (-counts[k], k)) if counts else none


def _check_pairs(true_sents: Sequence[Tags], pred_sents: Sequence[Tags]) -> None:
    if len(true_sents) != len(pred_sents):
        raise ValueError(MSG_SENTENCE_COUNT.format(true=len(true_sents), pred=len(pred_sents)))
    for i, (t, p) in enumerate(zip(true_sents, pred_sents)):
        if len(t) != len(p):
            raise ValueError(MSG_SENTENCE_LENGTH.format(index=i, true=len(t), pred=len(p)))


def prf(n_true: float, n_pred: float, n_correct: float, zero_division: float = 0.0) -> tuple[float, float, float]:
    """Precision, recall and F1 from entity counts (sums of :func:`sentence_counts` rows, e.g. a bootstrap draw)."""
    precision = n_correct / n_pred if n_pred else zero_division
    recall = n_correct / n_true if n_true else zero_division
    total = precision + recall
    f1 = 2 * precision * recall / total if total > 0 else 0.0
    return float(precision), float(recall), float(f1)


def sentence_counts(true_sents: Sequence[Tags], pred_sents: Sequence[Tags],
                    entity_type: str | None = None) -> np.ndarray:
    """Per sentence, the numbers of true, predicted and correct entities (columns TRUE, PRED, CORRECT).

    Shape ``(n_sentences, 3)``, int64. With *entity_type*, only entities of that type count. Rows resampled
    and summed give bootstrap draws of micro precision/recall/F1 through :func:`prf`.
    """
    _check_pairs(true_sents, pred_sents)
    out = np.zeros((len(true_sents), 3), dtype=np.int64)
    for i, (t, p) in enumerate(zip(true_sents, pred_sents)):
        gold = {e for e in extract_entities(t) if entity_type is None or e[0] == entity_type}
        found = {e for e in extract_entities(p) if entity_type is None or e[0] == entity_type}
        out[i] = len(gold), len(found), len(gold & found)
    return out


def type_recall(true_sents: Sequence[Tags], pred_sents: Sequence[Tags], entity_type: str,
                sentences: Iterable[int] | None = None, zero_division: float = 0.0) -> float:
    """Recall on entities of *entity_type*, counted over the sentences at indices *sentences* (all if None).

    Made for comparisons such as person-entity recall across name groups; a subset without any true entity
    of the type gets *zero_division* (pass NaN to keep it out of a comparison).
    """
    counts = sentence_counts(true_sents, pred_sents, entity_type)
    if sentences is not None:
        counts = counts[np.asarray(list(sentences), dtype=np.int64)]
    n_true, n_pred, n_correct = counts.sum(axis=0) if len(counts) else (0, 0, 0)
    return prf(n_true, n_pred, n_correct, zero_division)[1]


def _type_counts(true_sents: Sequence[Tags], pred_sents: Sequence[Tags]) -> tuple[Counter[str], ...]:
    """Per entity type: how many true, predicted and correct entities."""
    n_true: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_correct: Counter[str] = Counter()
    for t, p in zip(true_sents, pred_sents):
        gold, found = set(extract_entities(t)), set(extract_entities(p))
        n_true.update(e[0] for e in gold)
        n_pred.update(e[0] for e in found)
        n_correct.update(e[0] for e in gold & found)
    return n_true, n_pred, n_correct


_METRICS = ("precision", "recall", "f1-score")


def _row(scores: Sequence[float], support: int) -> dict[str, Any]:
    return {**dict(zip(_METRICS, scores)), "support": int(support)}


def _weighted(rows: list[dict[str, Any]], support: int, n_pred: int, zero_division: float) -> list[float]:
    """Per-type scores averaged with the true counts as weights; seqeval's rule when there is no true entity."""
    if support:
        return [sum(r[m] * r["support"] for r in rows) / support for m in _METRICS]
    precision = zero_division if not n_pred else 0.0  # precision and F1 are undefined only if nothing is predicted
    return [precision, zero_division, precision]


def _report(counts: tuple[Counter[str], ...], zero_division: float) -> dict[str, dict[str, Any]]:
    n_true, n_pred, n_correct = counts
    types = sorted(set(n_true) | set(n_pred))
    report = {k: _row(prf(n_true[k], n_pred[k], n_correct[k], zero_division), n_true[k]) for k in types}
    rows = [report[k] for k in types]
    support, predicted = sum(n_true.values()), sum(n_pred.values())
    report["micro avg"] = _row(prf(support, predicted, sum(n_correct.values()), zero_division), support)
    report["macro avg"] = _row([float(np.mean([r[m] for r in rows])) if rows else zero_division for m in _METRICS],
                               support)
    report["weighted avg"] = _row(_weighted(rows, support, predicted, zero_division), support)
    return report


def classification_report(true_sents: Sequence[Tags], pred_sents: Sequence[Tags],
                          zero_division: float = 0.0) -> dict[str, dict[str, Any]]:
    """seqeval's ``classification_report(output_dict=True)`` shape: one row per type, then micro/macro/weighted avg.

    Each row is ``{"precision", "recall", "f1-score", "support"}``; support counts true entities.
    """
    _check_pairs(true_sents, pred_sents)
    return _report(_type_counts(true_sents, pred_sents), zero_division)


def entity_scores(true_sents: Sequence[Tags], pred_sents: Sequence[Tags],
                  zero_division: float = 0.0) -> dict[str, Any]:
    """Micro precision/recall/F1, per-type scores, token accuracy and the report, for IOB2 sentences.

    Keys: ``precision``, ``recall``, ``f1``, ``accuracy`` (tags equal, over all tokens), ``n_true``,
    ``n_pred``, ``n_correct``, ``n_tokens``, ``n_sentences``, ``per_type`` (type -> precision, recall, f1,
    support, predicted, correct) and ``report`` (see :func:`classification_report`).
    """
    _check_pairs(true_sents, pred_sents)
    counts = _type_counts(true_sents, pred_sents)
    n_true, n_pred, n_correct = (sum(c.values()) for c in counts)
    precision, recall, f1 = prf(n_true, n_pred, n_correct, zero_division)
    n_tokens = sum(len(t) for t in true_sents)
    same = sum(a == b for t, p in zip(true_sents, pred_sents) for a, b in zip(t, p))
    per_type = {
        k: dict(zip(("precision", "recall", "f1"), prf(counts[0][k], counts[1][k], counts[2][k], zero_division)),
                support=counts[0][k], predicted=counts[1][k], correct=counts[2][k])
        for k in sorted(set(counts[0]) | set(counts[1]))
    }
    return {"precision": precision, "recall": recall, "f1": f1,
            "accuracy": same / n_tokens if n_tokens else float(zero_division),
            "n_true": n_true, "n_pred": n_pred, "n_correct": n_correct, "n_tokens": n_tokens,
            "n_sentences": len(true_sents), "per_type": per_type, "report": _report(counts, zero_division)}
