"""The built-in NER data set ``builtin:wnut17``: WNUT-17 Emerging and Rare Entities (English, CC BY 4.0).

The three CoNLL files ship inside the package, xz-compressed, in ``data/`` (see ``data/README.md`` for
licence, source, citation and reference scores). They are checked against the sha256 of the original
files when loaded, so a damaged installation fails instead of training on altered data.
"""

from __future__ import annotations

import hashlib
import lzma
from dataclasses import dataclass, field
from pathlib import Path

from rai_ft.errors import SpecError
from rai_ft.tasks.token_classification.conll import Sentence, parse_conll

__all__ = ["CorpusInfo", "load_wnut17", "DATA_DIR", "SPLITS", "ENTITY_TYPES", "LICENSE", "CITATION",
           "MSG_DATA_MISSING", "MSG_DATA_CORRUPT"]

DATA_DIR = Path(__file__).resolve().parent / "data"
SPLITS = {"train": "train.conll.xz", "validation": "dev.conll.xz", "test": "test.conll.xz"}
SHA256 = {  # of the original (decompressed) files
    "train": "731820e13f71af324c6b55a1575ec2ce59fbaa2a0806f8f0400b98d56cd6a7a5",
    "validation": "e053b752b8155113ca66e7db08af5f2f5f43ab993694e4774f1ec5bad42312d8",
    "test": "2aa79b764e56ec9264a1b30fdd9b70195bd00ff400b62edd8f399d5f13c178f0",
}
ENTITY_TYPES = ("corporation", "creative-work", "group", "location", "person", "product")
LICENSE = "CC BY 4.0"
CITATION = ("Leon Derczynski, Eric Nichols, Marieke van Erp, Nut Limsopatham (2017). Results of the WNUT2017 "
            "Shared Task on Novel and Emerging Entity Recognition. Proceedings of the 3rd Workshop on Noisy "
            "User-generated Text, EMNLP.")
SOURCE = "the WNUT 2017 shared task data as published by its organisers"
REFERENCE = ("entity-level F1, seqeval-style, test: shared-task best 41.9; later BERT-base models ~47-50; "
             "RoBERTa-large / BERTweet-large about 56-60")

MSG_DATA_MISSING = "built-in data file {path} is missing; reinstall rai-ft (the package data was not installed)"
MSG_DATA_CORRUPT = "built-in data file {path} is damaged ({detail}); reinstall rai-ft"


@dataclass(frozen=True)
class CorpusInfo:
    """Provenance and size of a built-in token-classification data set."""

    name: str
    title: str
    license: str
    citation: str
    source: str
    reference: str
    entity_types: tuple[str, ...]
    files: dict[str, Path] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    sentences: dict[str, int] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """The IOB2 label list: ``O`` then ``B-``/``I-`` of each entity type, in type order."""
        return ["O"] + [f"{p}-{t}" for t in self.entity_types for p in ("B", "I")]


def _read_split(split: str) -> list[Sentence]:
    """One split's sentences, after checking the decompressed bytes against the original's sha256."""
    path = DATA_DIR / SPLITS[split]
    if not path.is_file():
        raise SpecError(MSG_DATA_MISSING.format(path=path), field="data.source")
    try:
        raw = lzma.decompress(path.read_bytes())
    except lzma.LZMAError as exc:
        raise SpecError(MSG_DATA_CORRUPT.format(path=path, detail=exc), field="data.source") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256[split]:
        raise SpecError(MSG_DATA_CORRUPT.format(path=path, detail=f"sha256 {digest[:12]}..., expected "
                                                f"{SHA256[split][:12]}..."), field="data.source")
    return parse_conll(raw.decode("utf-8"), f"builtin:wnut17/{SPLITS[split]}")


def load_wnut17() -> tuple[dict[str, list[Sentence]], CorpusInfo]:
    """``({"train": [...], "validation": [...], "test": [...]}, info)``; each sentence is ``(tokens, tags)``, IOB2."""
    splits = {split: _read_split(split) for split in SPLITS}
    info = CorpusInfo(name="wnut17", title="WNUT-17 Emerging and Rare Entities (English NER)", license=LICENSE,
                      citation=CITATION, source=SOURCE, reference=REFERENCE, entity_types=ENTITY_TYPES,
                      files={s: DATA_DIR / f for s, f in SPLITS.items()}, sha256=dict(SHA256),
                      sentences={s: len(v) for s, v in splits.items()})
    return splits, info
