"""Named-entity recognition (token classification): readers, entity-level scores, sub-word alignment, WNUT-17.

Pure functions with no dependency on the pipeline:

* :mod:`.conll` reads CoNLL-style and JSONL files into ``(tokens, tags)`` sentences and normalises the
  tags (IOB1, IOB2, IOBES) to IOB2;
* :mod:`.entities` scores IOB2 predictions at entity level with seqeval's default semantics;
* :mod:`.align` aligns words with a fast tokenizer's pieces (labels on the first piece) and back;
* :mod:`.wnut17` loads the built-in data set ``builtin:wnut17`` shipped in ``data/``.
"""

from __future__ import annotations

from rai_ft.tasks.token_classification.align import (
    IGNORE,
    Encoding,
    encode,
    first_pieces,
    missing_words,
    word_predictions,
    word_probabilities,
)
from rai_ft.tasks.token_classification.conll import (
    Sentence,
    check_tag,
    detect_scheme,
    parse_conll,
    parse_jsonl,
    read_conll,
    read_jsonl,
    read_tagged,
    to_iob2,
)
from rai_ft.tasks.token_classification.entities import (
    Entity,
    classification_report,
    entity_scores,
    extract_entities,
    prf,
    sentence_counts,
    type_recall,
)
from rai_ft.tasks.token_classification.wnut17 import CorpusInfo, load_wnut17

__all__ = [
    "IGNORE", "Encoding", "encode", "first_pieces", "missing_words", "word_predictions", "word_probabilities",
    "Sentence", "check_tag", "detect_scheme", "parse_conll", "parse_jsonl", "read_conll", "read_jsonl",
    "read_tagged", "to_iob2",
    "Entity", "classification_report", "entity_scores", "extract_entities", "prf", "sentence_counts", "type_recall",
    "CorpusInfo", "load_wnut17",
]
