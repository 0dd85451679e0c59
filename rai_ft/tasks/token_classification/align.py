"""Word <-> sub-word alignment for token classification with a Hugging Face *fast* tokenizer.

Labels go on the FIRST piece of each word; the word's other pieces and the special tokens get
:data:`IGNORE` (-100, the index PyTorch's cross-entropy skips). Predictions are read back the same way: a
word's class is the one of its first piece.

A word can end up with no piece at all, for two reasons, both counted in :class:`Encoding`:

* *truncated*: it lies beyond ``max_length`` (the caller should warn, or raise ``max_length``);
* *empty*: the tokenizer makes nothing of it (a zero-width space, a control character).

Such a word is predicted as the caller's ``fallback_id`` (the id of ``O``: "no entity found"), and in
:func:`word_probabilities` its row is one-hot on that id. :func:`missing_words` says which words these are.
Model outputs must be right-padded (position ``j`` of a row is piece ``j``), as the tokenizers pad by default.

RoBERTa-style (byte-level BPE) tokenizers need ``add_prefix_space=True`` to accept pre-split words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["IGNORE", "Encoding", "encode", "piece_positions", "first_pieces", "missing_words", "word_predictions",
           "word_probabilities", "MSG_NOT_FAST", "MSG_TAG_COUNT", "MSG_TAG_SENTENCES", "MSG_ROW_COUNT", "MSG_WORD_ID"]

IGNORE = -100
WordIds = Sequence[int | None]

MSG_NOT_FAST = "token classification needs a fast tokenizer (word_ids); {name} is a slow one"
MSG_TAG_COUNT = "sentence {index}: {words} word(s) but {tags} tag id(s)"
MSG_TAG_SENTENCES = "tag ids for {tags} sentence(s), but {sentences} sentence(s)"
MSG_ROW_COUNT = "{scores} row(s) of scores for {sentences} sentence(s)"
MSG_WORD_ID = "word id {wid} in a sentence of {n} word(s); word_ids and n_words do not match"


@dataclass
class Encoding:
    """The tokenizer's columns per sentence (unpadded), the labels, and what alignment could not keep.

    ``features()`` gives one dict per sentence, ready for ``DataCollatorForTokenClassification``.
    """

    columns: dict[str, list[list[int]]]
    word_ids: list[list[int | None]]
    n_words: list[int]
    labels: list[list[int]] | None = None
    truncated: list[list[int]] = field(default_factory=list)
    empty: list[list[int]] = field(default_factory=list)

    @property
    def n_truncated(self) -> int:
        """How many words (over all sentences) were cut off by ``max_length``."""
        return sum(len(w) for w in self.truncated)

    @property
    def n_empty(self) -> int:
        """How many words the tokenizer turned into no piece at all."""
        return sum(len(w) for w in self.empty)

    @property
    def truncated_sentences(self) -> list[int]:
        """Indices of the sentences that lost words to ``max_length``."""
        return [i for i, words in enumerate(self.truncated) if words]

    def features(self) -> list[dict[str, list[int]]]:
        """One ``{column: ids}`` dict per sentence, with ``labels`` when tag ids were given."""
        names = list(self.columns) + (["labels"] if self.labels is not None else [])
        cols = [*self.columns.values()] + ([self.labels] if self.labels is not None else [])
        return [dict(zip(names, row)) for row in zip(*cols)]


def _labels(word_ids: WordIds, tag_ids: Sequence[int]) -> list[int]:
    """The word's tag id on its first piece; IGNORE on later pieces and special tokens."""
    out, previous = [], None
    for wid in word_ids:
        out.append(IGNORE if wid is None or wid == previous else int(tag_ids[wid]))
        previous = wid
    return out


def _lost_words(tokenizer: Any, words: Sequence[str], kept: set[int]) -> tuple[list[int], list[int]]:
    """``(truncated, empty)`` word indices among the words that have no piece in the encoding."""
    last = max(kept, default=-1)
    empty = [i for i in range(last) if i not in kept]
    tail = list(range(last + 1, len(words)))
    if not tail:
        return [], empty
    pieces = tokenizer([[words[i]] for i in tail], is_split_into_words=True, add_special_tokens=False)
    truncated = [i for i, ids in zip(tail, pieces["input_ids"]) if ids]
    return truncated, empty + [i for i, ids in zip(tail, pieces["input_ids"]) if not ids]


def encode(tokenizer: Any, sentences_tokens: Sequence[Sequence[str]], tag_ids: Sequence[Sequence[int]] | None,
           max_length: int) -> Encoding:
    """Tokenize pre-split sentences (``is_split_into_words=True``, truncated to *max_length* pieces).

    With *tag_ids* (one id per word), ``labels`` holds each word's id on its first piece and IGNORE
    elsewhere. Words cut off or dropped by the tokenizer are listed per sentence in ``truncated`` / ``empty``.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(MSG_NOT_FAST.format(name=type(tokenizer).__name__))
    sentences = [list(words) for words in sentences_tokens]
    if not sentences:
        return Encoding(columns={}, word_ids=[], n_words=[], labels=None if tag_ids is None else [])
    if tag_ids is not None:
        if len(tag_ids) != len(sentences):
            raise ValueError(MSG_TAG_SENTENCES.format(tags=len(tag_ids), sentences=len(sentences)))
        for i, (words, ids) in enumerate(zip(sentences, tag_ids)):
            if len(words) != len(ids):
                raise ValueError(MSG_TAG_COUNT.format(index=i, words=len(words), tags=len(ids)))
    batch = tokenizer(sentences, is_split_into_words=True, truncation=True, max_length=max_length)
    word_ids = [batch.word_ids(i) for i in range(len(sentences))]
    lost = [_lost_words(tokenizer, words, {w for w in wids if w is not None})
            for words, wids in zip(sentences, word_ids)]
    labels = None if tag_ids is None else [_labels(w, t) for w, t in zip(word_ids, tag_ids)]
    return Encoding(columns={k: [list(map(int, row)) for row in v] for k, v in batch.items()}, word_ids=word_ids,
                    n_words=[len(w) for w in sentences], labels=labels,
                    truncated=[t for t, _ in lost], empty=[e for _, e in lost])


def first_pieces(word_ids: WordIds, n_words: int) -> np.ndarray:
    """For each of the *n_words* words, the position of its first piece, or -1 if it has none."""
    out = np.full(n_words, -1, dtype=np.int64)
    for position, wid in enumerate(word_ids):
        if wid is not None and not 0 <= wid < n_words:
            raise ValueError(MSG_WORD_ID.format(wid=wid, n=n_words))
        if wid is not None and out[wid] < 0:
            out[wid] = position
    return out


def missing_words(word_ids: Sequence[WordIds], n_words: Sequence[int]) -> list[np.ndarray]:
    """Per sentence, a boolean mask of the words without a piece (their predictions are the fallback)."""
    return [first_pieces(w, n) < 0 for w, n in zip(word_ids, n_words, strict=True)]


def _word_rows(scores: Any, word_ids: Sequence[WordIds],
               n_words: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per sentence: the first piece's score row for each word (zeros where none) and the mask of missing words."""
    if len(scores) != len(word_ids):
        raise ValueError(MSG_ROW_COUNT.format(scores=len(scores), sentences=len(word_ids)))
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for row, wids, n in zip(scores, word_ids, n_words, strict=True):
        row = np.asarray(row, dtype=np.float64)
        first = first_pieces(wids, n)
        picked = row[np.maximum(first, 0)]
        missing = first < 0
        picked[missing] = 0.0
        out.append((picked, missing))
    return out


def word_predictions(scores: Any, word_ids: Sequence[WordIds], n_words: Sequence[int],
                     fallback_id: int) -> list[np.ndarray]:
    """Per sentence, one class id per word: argmax of the word's first piece; *fallback_id* if it has none.

    *scores* is ``(n_sentences, n_pieces, n_classes)`` logits or probabilities (an array, a tensor turned
    into numpy, or a list of per-sentence arrays), right-padded; *n_words* counts each sentence's words.
    """
    out = []
    for picked, missing in _word_rows(scores, word_ids, n_words):
        ids = picked.argmax(axis=-1)
        ids[missing] = fallback_id
        out.append(ids.astype(np.int64))
    return out


def word_probabilities(probabilities: Any, word_ids: Sequence[WordIds], n_words: Sequence[int],
                       fallback_id: int) -> list[np.ndarray]:
    """Per sentence, an ``(n_words, n_classes)`` array: the first piece's probabilities for each word.

    A word without a piece gets a one-hot row on *fallback_id* (certainly "O"). Give probabilities (apply
    softmax to logits first); the rows are copied as they are.
    """
    out = []
    for picked, missing in _word_rows(probabilities, word_ids, n_words):
        picked[missing, fallback_id] = 1.0
        out.append(picked)
    return out


def piece_positions(scores: Any, n_pieces: int) -> Any:
    """The last *n_pieces* positions of ``(batch, positions, classes)`` *scores*: prompt tuning prepends its
    virtual tokens to the input, so a prompt-tuned model scores more positions than the batch has pieces."""
    return scores[:, -n_pieces:] if scores.shape[1] > n_pieces else scores
