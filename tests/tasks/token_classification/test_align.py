"""Word <-> piece alignment with the offline MiniLM (BERT uncased WordPiece) fast tokenizer."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from rai_ft.modeling.loading import load_tokenizer, resolve_base
from rai_ft.tasks.token_classification.align import (
    IGNORE,
    MSG_NOT_FAST,
    MSG_ROW_COUNT,
    MSG_TAG_COUNT,
    MSG_TAG_SENTENCES,
    MSG_WORD_ID,
    encode,
    first_pieces,
    missing_words,
    word_predictions,
    word_probabilities,
)
from rai_ft.tasks.token_classification.wnut17 import load_wnut17


@pytest.fixture(scope="module")
def tok() -> Any:
    return load_tokenizer(resolve_base("builtin:minilm"))


def _pieces(tok: Any, ids: list[int]) -> list[str]:
    return tok.convert_ids_to_tokens(ids)


def test_label_on_the_first_piece_only(tok: Any) -> None:
    enc = encode(tok, [["Empire", "Statebuilding", "hello"]], [[1, 2, 0]], max_length=32)
    assert _pieces(tok, enc.columns["input_ids"][0]) == ["[CLS]", "empire", "state", "##building", "hello", "[SEP]"]
    assert enc.labels == [[IGNORE, 1, 2, IGNORE, 0, IGNORE]]
    assert enc.word_ids == [[None, 0, 1, 1, 2, None]] and enc.n_words == [3]
    assert enc.n_truncated == 0 and enc.n_empty == 0 and enc.truncated_sentences == []


def test_words_cut_by_max_length_are_reported(tok: Any) -> None:
    words = ["one", "two", "three", "four", "five", "six", "seven"]
    enc = encode(tok, [words, ["short"]], [list(range(7)), [3]], max_length=6)  # 4 pieces + [CLS] [SEP]
    assert _pieces(tok, enc.columns["input_ids"][0]) == ["[CLS]", "one", "two", "three", "four", "[SEP]"]
    assert enc.labels == [[IGNORE, 0, 1, 2, 3, IGNORE], [IGNORE, 3, IGNORE]]
    assert enc.truncated == [[4, 5, 6], []] and enc.n_truncated == 3 and enc.truncated_sentences == [0]


def test_a_word_cut_after_its_first_piece_keeps_its_label(tok: Any) -> None:
    enc = encode(tok, [["hello", "Statebuilding", "x"]], [[0, 1, 2]], max_length=4)
    assert _pieces(tok, enc.columns["input_ids"][0]) == ["[CLS]", "hello", "state", "[SEP]"]
    assert enc.labels == [[IGNORE, 0, 1, IGNORE]] and enc.truncated == [[2]]


def test_words_the_tokenizer_drops_are_empty_not_truncated(tok: Any) -> None:
    enc = encode(tok, [["a", "\u200b", "b", "\x00"], ["c", "d", "\u200b"]], [[1, 2, 3, 4], [1, 2, 3]], max_length=3)
    assert enc.labels == [[IGNORE, 1, IGNORE], [IGNORE, 1, IGNORE]]
    assert enc.truncated == [[2], [1]] and enc.empty == [[1, 3], [2]] and (enc.n_truncated, enc.n_empty) == (2, 3)
    full = encode(tok, [["a", "\u200b", "b"]], [[1, 2, 3]], max_length=16)
    assert full.labels == [[IGNORE, 1, 3, IGNORE]] and full.empty == [[1]] and full.truncated == [[]]


def test_without_tag_ids_there_are_no_labels(tok: Any) -> None:
    enc = encode(tok, [["hello", "world"]], None, max_length=16)
    assert enc.labels is None and set(enc.features()[0]) == {"input_ids", "token_type_ids", "attention_mask"}
    assert encode(tok, [], None, max_length=16).features() == []


def test_features_pad_with_the_token_classification_collator(tok: Any) -> None:
    from transformers import DataCollatorForTokenClassification

    enc = encode(tok, [["Empire", "Statebuilding"], ["hi"]], [[1, 2], [0]], max_length=16)
    batch = DataCollatorForTokenClassification(tok)(enc.features())
    assert batch["labels"].tolist() == [[IGNORE, 1, 2, IGNORE, IGNORE], [IGNORE, 0, IGNORE, IGNORE, IGNORE]]
    assert batch["attention_mask"].tolist()[1] == [1, 1, 1, 0, 0]


def test_bad_inputs_are_refused(tok: Any) -> None:
    with pytest.raises(ValueError, match=re.escape(MSG_TAG_COUNT.format(index=0, words=2, tags=1))):
        encode(tok, [["a", "b"]], [[0]], max_length=8)
    with pytest.raises(ValueError, match=re.escape(MSG_TAG_SENTENCES.format(tags=2, sentences=1))):
        encode(tok, [["a"]], [[0], [0]], max_length=8)

    class Slow:
        is_fast = False

    with pytest.raises(ValueError, match=re.escape(MSG_NOT_FAST.format(name="Slow"))):
        encode(Slow(), [["a"]], None, max_length=8)
    with pytest.raises(ValueError, match=re.escape(MSG_ROW_COUNT.format(scores=0, sentences=1))):
        word_predictions(np.zeros((0, 3, 2)), [[None, 0, None]], [1], fallback_id=0)


def _one_hot(rows: list[list[int]], n_pieces: int, n_classes: int) -> np.ndarray:
    """Right-padded 'logits' whose argmax at each piece is the given class."""
    out = np.zeros((len(rows), n_pieces, n_classes))
    for i, row in enumerate(rows):
        out[i, np.arange(len(row)), row] = 5.0
    return out


def test_word_predictions_read_the_first_piece_and_fall_back_for_lost_words() -> None:
    word_ids = [[None, 0, 1, 1, 2, None], [None, 0, None]]  # sentence 1 had 3 words, 2 of them cut off
    logits = _one_hot([[0, 1, 2, 0, 3, 0], [0, 2, 0]], n_pieces=7, n_classes=4)  # padded to 7 pieces
    assert [p.tolist() for p in word_predictions(logits, word_ids, [3, 3], fallback_id=0)] == [[1, 2, 3], [2, 0, 0]]
    as_list = word_predictions([logits[0, :6], logits[1, :3]], word_ids, [3, 3], fallback_id=3)
    assert [p.tolist() for p in as_list] == [[1, 2, 3], [2, 3, 3]]
    assert [m.tolist() for m in missing_words(word_ids, [3, 3])] == [[False] * 3, [False, True, True]]
    assert first_pieces(word_ids[0], 4).tolist() == [1, 2, 4, -1]


def test_word_probabilities_copy_the_first_piece_and_one_hot_the_fallback() -> None:
    proba = np.array([[[1.0, 0, 0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [1.0, 0, 0]]])
    rows = word_probabilities(proba, [[None, 0, 1, None]], [3], fallback_id=0)
    assert rows[0].tolist() == [[0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [1.0, 0.0, 0.0]]
    assert word_probabilities(proba[:, :2], [[None, None]], [0], fallback_id=0)[0].shape == (0, 3)
    with pytest.raises(ValueError, match=re.escape(MSG_WORD_ID.format(wid=1, n=1))):
        word_probabilities(proba, [[None, 0, 1, None]], [1], fallback_id=0)


def test_wnut17_dev_round_trips_through_the_alignment(tok: Any) -> None:
    dev = load_wnut17()[0]["validation"]
    labels = sorted({t for _, tags in dev for t in tags})
    ids = [[labels.index(t) for t in tags] for _, tags in dev]
    enc = encode(tok, [w for w, _ in dev], ids, max_length=64)
    assert enc.labels is not None
    logits = [_one_hot([[0 if y == IGNORE else y for y in row]], len(row), len(labels))[0] for row in enc.labels]
    back = word_predictions(logits, enc.word_ids, enc.n_words, fallback_id=labels.index("O"))
    lost = missing_words(enc.word_ids, enc.n_words)
    assert enc.n_truncated > 0 and enc.n_truncated + enc.n_empty == sum(int(m.sum()) for m in lost)
    for gold, pred, miss in zip(ids, back, lost):
        assert np.array_equal(np.asarray(gold)[~miss], pred[~miss])
        assert (pred[miss] == labels.index("O")).all()
