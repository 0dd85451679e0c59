"""Load, validate and split the labelled text a spec names.

Every problem with the data is a one-line :class:`~rai_ft.errors.SpecError` that names the file and
the column. Sensitive columns travel beside the text but are never given to the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from rai_ft.config.loading import in_spec
from rai_ft.config.spec import DataConfig, Spec
from rai_ft.data.builtin import load_builtin
from rai_ft.data.checks import check_label_cardinality, check_sample_caps, check_split_sizes, check_texts
from rai_ft.errors import (
    MSG_EMPTY_DATASET,
    MSG_FILE_NOT_FOUND,
    MSG_LABEL_NAN,
    MSG_MISSING_COLUMN,
    MSG_NOT_UTF8,
    MSG_ONE_CLASS,
    MSG_ONE_GROUP,
    SpecError,
)

__all__ = ["DataBundle", "load_data", "read_table", "sha256_file", "split_frame", "bundle_splits", "check_frame",
           "check_groups", "TEXT", "LABEL", "TEXT_JOIN"]

TEXT = "__text__"
LABEL = "__label__"
TEXT_JOIN = " | "
_READERS = {".csv": ",", ".tsv": "\t"}


@dataclass
class DataBundle:
    """Train/validation/test frames with columns ``__text__``, ``__label__`` (class index) and the sensitive ones."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    labels: list[str]
    positive_index: int
    sensitive: list[str]
    files: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def train_sha256(self) -> str:
        """sha256 of the training rows (text and label) as a set: the exact members, whatever their order."""
        h = hashlib.sha256()
        for line in sorted(f"{label}\t{text}\n" for text, label in zip(self.train[TEXT], self.train[LABEL])):
            h.update(line.encode())
        return h.hexdigest()

    @property
    def fingerprint(self) -> str:
        """sha256 over the data files' hashes (what a privacy ledger would key on)."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(str(f.get("sha256")).encode())
        return h.hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_table(path: Path) -> pd.DataFrame:
    """Read a csv/tsv/json/jsonl/parquet file, refusing non-UTF-8 text files."""
    if not path.is_file():
        raise SpecError(MSG_FILE_NOT_FOUND.format(path=path), file=path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises its own types for a corrupt or truncated file
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SpecError(f"cannot parse parquet file: {detail}", file=path) from None
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(MSG_NOT_UTF8.format(position=exc.start), file=path) from None
    try:
        if suffix in _READERS:
            return pd.read_csv(path, sep=_READERS[suffix], encoding="utf-8", keep_default_na=True,
                               dtype=str, quoting=3 if suffix == ".tsv" else 0)
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        if suffix == ".json":
            return pd.read_json(path, dtype=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise SpecError(f"cannot parse {suffix[1:]} file: {str(exc).splitlines()[0]}", file=path) from None
    raise SpecError(f"unsupported file type {suffix!r}; use csv, tsv, json, jsonl or parquet", file=path)


def _read_hub(name: str) -> pd.DataFrame:
    """A hub data set's train split; offline, only the local cache is tried (no retries, no noise)."""
    from rai_ft.modeling.inspect import hub_offline, offline_mode, quiet_hub

    why = hub_offline()
    try:
        with quiet_hub(), offline_mode(why is not None):
            from datasets import load_dataset

            ds = load_dataset(name, split="train")
    except Exception as exc:  # noqa: BLE001 - offline or unknown ids surface as one line
        detail = (str(exc).splitlines() or [type(exc).__name__])[0] + (f"; {why}" if why else "")
        raise SpecError(f"cannot load hub data set {name!r}: {detail}", field="data.source") from None
    return ds.to_pandas()


def check_frame(df: pd.DataFrame, cfg: DataConfig, where: str) -> pd.DataFrame:
    """Validate columns and values of one raw frame; return it with ``__text__`` and the raw label."""
    if len(df) == 0:
        raise SpecError(MSG_EMPTY_DATASET, file=where)
    available = ", ".join(map(str, df.columns[:20]))
    for col, fld in [(c, "data.text") for c in cfg.text_columns] + [(cfg.label, "data.label")] + [
        (c, "data.sensitive") for c in cfg.sensitive
    ]:
        if col not in df.columns:
            raise SpecError(MSG_MISSING_COLUMN.format(column=col, available=available), file=where, field=fld)
    n_nan = int(df[cfg.label].isna().sum())
    if n_nan:
        raise SpecError(MSG_LABEL_NAN.format(column=cfg.label, count=n_nan), file=where, field="data.label")
    check_texts(df, cfg.text_columns, where)
    out = pd.DataFrame(index=df.index)
    texts = [df[c].fillna("").astype(str) for c in cfg.text_columns]
    out[TEXT] = texts[0] if len(texts) == 1 else pd.concat(texts, axis=1).agg(TEXT_JOIN.join, axis=1)
    out["__raw_label__"] = df[cfg.label].map(_label_str)
    for col in cfg.sensitive:
        out[col] = df[col].fillna("(missing)").astype(str)
    return out.reset_index(drop=True)


def _label_str(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def check_groups(frame: pd.DataFrame, cfg: DataConfig, where: str) -> None:
    labels = frame["__raw_label__"].unique()
    if len(labels) < 2:
        raise SpecError(MSG_ONE_CLASS.format(column=cfg.label, value=labels[0]), file=where, field="data.label")
    check_label_cardinality(frame["__raw_label__"], cfg.label, where)
    for col in cfg.sensitive:
        groups = frame[col].unique()
        if len(groups) < 2:
            raise SpecError(MSG_ONE_GROUP.format(column=col, value=groups[0]), file=where, field="data.sensitive")


def _stratify(frame: pd.DataFrame) -> pd.Series | None:
    counts = frame["__raw_label__"].value_counts()
    return frame["__raw_label__"] if counts.min() >= 2 else None


def _cap(frame: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    if n is None or len(frame) <= n:
        return frame.reset_index(drop=True)
    part, _ = train_test_split(frame, train_size=n, random_state=seed, stratify=_stratify(frame))
    return part.reset_index(drop=True)


def _data_path(spec: Spec, value: str, field: str) -> Path:
    """The data file a spec names; a missing one is reported at the spec's key (the caller adds file and line)."""
    path = spec.resolve_path(value)
    if not path.is_file():
        what = "a folder, not a file"
        raise SpecError(f"{what}: {path}" if path.is_dir() else MSG_FILE_NOT_FOUND.format(path=path), field=field)
    return path


def load_data(spec: Spec) -> DataBundle:
    """Load the spec's data, validate it, and split it (stratified, seeded).

    Errors about a spec key (a missing file, an unknown built-in) name the spec file and the key's line.
    """
    with in_spec(spec):
        return _load_data(spec)


def _load_data(spec: Spec) -> DataBundle:
    cfg = spec.data
    files: list[dict[str, Any]] = []
    provenance: dict[str, Any] = {}
    if cfg.source:
        if cfg.source.startswith("builtin:"):
            raw, info = load_builtin(cfg.source.split(":", 1)[1])
            where = cfg.source
            files = [{"path": f"{info.package}:{p.name}", "sha256": sha256_file(p)} for p in info.files]
            provenance = {"source": cfg.source, "title": info.title, "description": info.description,
                          "license": info.license, "citation": info.citation, "url": info.url}
        elif cfg.source.startswith("hub:"):
            raw = _read_hub(cfg.source[4:])
            where = cfg.source
            files = [{"path": cfg.source, "sha256": None}]
            provenance = {"source": cfg.source}
        else:
            path = _data_path(spec, cfg.source, "data.source")
            where = str(path)
            raw = read_table(path)
            files = [{"path": str(path), "sha256": sha256_file(path)}]
            provenance = {"source": str(path)}
        train, val, test = split_frame(check_frame(raw, cfg, where), cfg, where)
    else:
        parts = []
        for name in ("train", "validation", "test"):
            path = _data_path(spec, getattr(cfg, name), f"data.{name}")
            frame = check_frame(read_table(path), cfg, str(path))
            if name == "train":
                check_groups(frame, cfg, str(path))
            parts.append(frame)
            files.append({"path": str(path), "sha256": sha256_file(path), "split": name})
        train, val, test = parts
        provenance = {"source": "explicit files"}
    return bundle_splits(train, val, test, cfg, files, provenance)


def split_frame(frame: pd.DataFrame, cfg: DataConfig, where: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, validation, test) of one checked frame (``__raw_label__`` and sensitive columns), stratified by label
    and seeded by ``split``; refused when a class or group is alone or a split would be empty."""
    check_groups(frame, cfg, where)
    check_split_sizes(frame, frame["__raw_label__"].nunique(), cfg.split.validation, cfg.split.test, where)
    rest, test = train_test_split(frame, test_size=cfg.split.test, random_state=cfg.split.seed,
                                  stratify=_stratify(frame))
    val_frac = cfg.split.validation / (1 - cfg.split.test)
    train, val = train_test_split(rest, test_size=val_frac, random_state=cfg.split.seed, stratify=_stratify(rest))
    return train, val, test


def bundle_splits(train: pd.DataFrame, val: pd.DataFrame, test: pd.DataFrame, cfg: DataConfig,
                  files: list[dict[str, Any]], provenance: dict[str, Any]) -> DataBundle:
    """The three splits capped (``sample``), their raw labels indexed (sorted; the positive label chosen) and
    bundled."""
    split_seed = cfg.split.seed
    check_sample_caps(cfg.sample, len(set(train["__raw_label__"]) | set(val["__raw_label__"])
                                     | set(test["__raw_label__"])))
    train = _cap(train, cfg.sample.train, split_seed)
    val = _cap(val, cfg.sample.validation, split_seed)
    test = _cap(test, cfg.sample.test, split_seed)
    labels = sorted(set(train["__raw_label__"]) | set(val["__raw_label__"]) | set(test["__raw_label__"]))
    if cfg.positive_label is not None:
        if cfg.positive_label not in labels:
            raise SpecError(f"positive_label {cfg.positive_label!r} is not a label value; labels: {labels}",
                            field="data.positive_label")
        pos = labels.index(cfg.positive_label)
    else:
        pos = len(labels) - 1 if len(labels) == 2 else 0
    index = {lab: i for i, lab in enumerate(labels)}
    for frame in (train, val, test):
        frame[LABEL] = frame.pop("__raw_label__").map(index).astype(np.int64)
    return DataBundle(train=train, validation=val, test=test, labels=labels, positive_index=pos,
                      sensitive=list(cfg.sensitive), files=files, provenance=provenance)
