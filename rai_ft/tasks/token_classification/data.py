"""Token-classification data as a :class:`~rai_ft.data.loading.DataBundle`: one row per sentence.

Columns: ``__tokens__`` (the words), ``__tags__`` (their IOB2 tag indices into ``labels``), ``__text__`` (the words
joined by spaces: what the text-level checks, the PII scan and the fingerprints read) and ``__label__`` (the tags
joined by spaces, so the training fingerprint covers the tags too). ``labels`` is ``O`` first, then ``B-``/``I-`` of
each entity type in name order (a built-in data set keeps its own order). There are no sensitive columns.

Where the data comes from (``data:``): ``source: builtin:wnut17`` (its own train/dev/test), one CoNLL/JSONL file
split at sentence level by ``split`` (seeded shuffle), or ``train``/``validation``/``test`` files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rai_ft.config.loading import in_spec
from rai_ft.config.spec import Spec
from rai_ft.data.loading import LABEL, TEXT, DataBundle, sha256_file
from rai_ft.data.builtin import builtin_name
from rai_ft.errors import MSG_FILE_NOT_FOUND, SpecError
from rai_ft.tasks.token_classification.conll import Sentence, check_tag, read_tagged
from rai_ft.tasks.token_classification.wnut17 import load_wnut17

__all__ = ["TOKENS", "TAGS", "BUILTINS", "load_token_data", "sentences_of", "MSG_TOO_FEW_SENTENCES",
           "MSG_NO_ENTITIES"]

TOKENS = "__tokens__"
TAGS = "__tags__"
BUILTINS = ("wnut17",)
MSG_TOO_FEW_SENTENCES = ("{where}: {n} sentence(s) cannot be split into train/validation/test at validation "
                         "{validation} and test {test}; each split needs at least one sentence")
MSG_NO_ENTITIES = "{where}: no entity tags in the training sentences (every tag is O); nothing to learn"


def _path(spec: Spec, value: str, field: str) -> Path:
    path = spec.resolve_path(value)
    if not path.is_file():
        raise SpecError(MSG_FILE_NOT_FOUND.format(path=path), file=path, field=field)
    return path


def _split(sentences: list[Sentence], spec: Spec, where: str) -> dict[str, list[Sentence]]:
    """Sentence-level train/validation/test split of one file (seeded shuffle; the fractions of ``split``)."""
    cfg = spec.data.split
    n = len(sentences)
    n_test, n_val = int(round(n * cfg.test)), int(round(n * cfg.validation))
    if min(n_test, n_val, n - n_test - n_val) < 1:
        raise SpecError(MSG_TOO_FEW_SENTENCES.format(where=where, n=n, validation=cfg.validation, test=cfg.test),
                        field="data.split")
    order = np.random.default_rng(cfg.seed).permutation(n)
    pick = [sentences[i] for i in order]
    return {"test": pick[:n_test], "validation": pick[n_test:n_test + n_val], "train": pick[n_test + n_val:]}


def _read(spec: Spec) -> tuple[dict[str, list[Sentence]], list[dict[str, Any]], dict[str, Any], list[str] | None]:
    """(sentences per split, data files with hashes, provenance, the built-in's label order or None)."""
    cfg = spec.data
    if cfg.source and cfg.source.startswith("builtin:"):
        builtin_name(cfg.source, BUILTINS)
        splits, info = load_wnut17()
        files = [{"path": f"rai_ft:{p.name}", "sha256": info.sha256[s], "split": s} for s, p in info.files.items()]
        provenance = {"source": cfg.source, "title": info.title, "license": info.license,
                      "citation": info.citation, "url": info.source, "reference": info.reference}
        return splits, files, provenance, info.labels
    if cfg.source:
        path = _path(spec, cfg.source, "data.source")
        files = [{"path": str(path), "sha256": sha256_file(path)}]
        return _split(read_tagged(path), spec, str(path)), files, {"source": str(path)}, None
    splits, files = {}, []
    for name in ("train", "validation", "test"):
        path = _path(spec, str(getattr(cfg, name)), f"data.{name}")
        splits[name] = read_tagged(path)
        files.append({"path": str(path), "sha256": sha256_file(path), "split": name})
    return splits, files, {"source": "explicit files"}, None


def _labels(splits: dict[str, list[Sentence]], known: list[str] | None) -> list[str]:
    """``O``, then B-/I- of every entity type seen in any split (a built-in keeps its published order)."""
    types = sorted({check_tag(t)[1] for sents in splits.values() for _, tags in sents for t in tags if t != "O"})
    if known is not None and all(f"B-{t}" in known for t in types):
        return known
    return ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]


def _frame(sentences: list[Sentence], index: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({TOKENS: [list(t) for t, _ in sentences],
                         TAGS: [[index[x] for x in tags] for _, tags in sentences],
                         TEXT: [" ".join(t) for t, _ in sentences],
                         LABEL: [" ".join(tags) for _, tags in sentences]})


def _cap(frame: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    return frame if n is None or n >= len(frame) else frame.sample(n=n, random_state=seed)


def load_token_data(spec: Spec) -> DataBundle:
    """The spec's tagged sentences, validated, split and capped (``data.sample``: sentences per split)."""
    with in_spec(spec):
        splits, files, provenance, known = _read(spec)
        where = str(spec.data.source or spec.data.train)
        if not any(t != "O" for _, tags in splits["train"] for t in tags):
            raise SpecError(MSG_NO_ENTITIES.format(where=where), field="data.source" if spec.data.source
                            else "data.train")
        labels = _labels(splits, known)
        index = {tag: i for i, tag in enumerate(labels)}
        seed, caps = spec.data.split.seed, spec.data.sample
        frames = {name: _cap(_frame(splits[name], index), getattr(caps, name), seed).reset_index(drop=True)
                  for name in ("train", "validation", "test")}
    return DataBundle(train=frames["train"], validation=frames["validation"], test=frames["test"], labels=labels,
                      positive_index=0, sensitive=[], files=files, provenance=provenance)


def sentences_of(frame: pd.DataFrame, labels: list[str]) -> list[list[str]]:
    """The IOB2 tag names of each row of *frame*."""
    return [[labels[i] for i in ids] for ids in frame[TAGS]]
