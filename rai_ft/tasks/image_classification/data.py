"""Image-classification data as a :class:`~rai_ft.data.loading.DataBundle`: one row per image.

``__text__`` holds the image's reference: its path relative to the spec's folder (so a data folder moved with its
spec, or audited on another machine, keeps every reference, every sample a check draws and the training
fingerprint), or ``builtin:fashion-mnist/<split>/<index>``; the image processor reads it (:func:`spec_root`).
``__label__`` is the class index; sensitive or condition columns travel beside it (from a table) and are never
given to the model.

Where the images come from (``data:``):

* ``source: builtin:fashion-mnist`` (its own train/test; validation is carved from train by ``split.validation``);
* ``source:`` a folder with one subfolder per class (the folder name is the label), split by ``split``;
* ``source:`` a csv/tsv/json/jsonl/parquet table with an image path column (``image``, paths relative to the
  table), the label and optional ``sensitive`` columns, split by ``split``;
* ``train``/``validation``/``test``: each a folder or a table.

Every image is opened before any work starts. A bad one (unreadable, zero bytes, not PNG/JPEG, a mode that is not
grey or colour) is an error naming the file (exit 2), or with ``bad_images: skip`` is dropped and counted
(``provenance.skipped_images``: the number and the first files, with why).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from rai_ft.config.loading import in_spec
from rai_ft.config.spec import DataConfig, Spec
from rai_ft.data.fashion_mnist import CLASSES, FASHION_MNIST, FILES, FashionInfo, fashion_mnist_arrays, \
    fashion_mnist_dir
from rai_ft.data.images import IMAGE_SUFFIXES, BadImageError, read_image
from rai_ft.data.loading import TEXT, DataBundle, bundle_splits, check_frame, check_groups, read_table, \
    sha256_file, split_frame
from rai_ft.data.builtin import builtin_name
from rai_ft.errors import MSG_FILE_NOT_FOUND, SpecError

__all__ = ["load_image_data", "spec_root", "BUILTINS", "MSG_NO_CLASS_FOLDERS", "MSG_ALL_BAD"]

BUILTINS = (FASHION_MNIST,)
RAW = "__raw_label__"
SHOWN_SKIPS = 5  # skipped files named in the record
MSG_NO_CLASS_FOLDERS = ("{path} has no class subfolders with PNG/JPEG images; an image folder holds one subfolder "
                        "per class (its name is the label)")
MSG_ALL_BAD = "{where}: every image was skipped as unreadable; nothing to train or audit"


def _folder(path: Path) -> pd.DataFrame:
    """One row per image of a class-per-subfolder tree (sorted, so the order is the same on every machine)."""
    rows = [(str(f.resolve()), sub.name) for sub in sorted(p for p in path.iterdir() if p.is_dir())
            for f in sorted(sub.rglob("*")) if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
    if not rows:
        raise SpecError(MSG_NO_CLASS_FOLDERS.format(path=path), file=path)
    return pd.DataFrame({TEXT: [r[0] for r in rows], RAW: [r[1] for r in rows]})


def _table(path: Path, cfg: DataConfig) -> pd.DataFrame:
    """A table's image paths (made absolute, relative to the table's folder), raw labels and sensitive columns."""
    frame = check_frame(read_table(path), cfg.model_copy(update={"text": cfg.image}), str(path))
    frame[TEXT] = [str(p if (p := Path(v)).is_absolute() else (path.parent / p).resolve()) for v in frame[TEXT]]
    return frame


def _read(spec: Spec, value: str, field: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A folder or a table the spec names, with its file record."""
    path = spec.resolve_path(value)
    if path.is_dir():
        frame = _folder(path)
        return frame, {"path": str(path), "sha256": _manifest_sha256(frame), "images": len(frame)}
    if not path.is_file():
        raise SpecError(MSG_FILE_NOT_FOUND.format(path=path), field=field)
    return _table(path, spec.data), {"path": str(path), "sha256": sha256_file(path)}


def _manifest_sha256(frame: pd.DataFrame) -> str:
    """sha256 over each image file's name, label and content hash: what a folder's fingerprint covers."""
    import hashlib

    h = hashlib.sha256()
    for ref, label in sorted(zip(frame[TEXT], frame[RAW])):
        h.update(f"{Path(ref).name}\t{label}\t{sha256_file(ref) if Path(ref).is_file() else '-'}\n".encode())
    return h.hexdigest()


def _screen(frame: pd.DataFrame, cfg: DataConfig, where: str, skipped: list[dict[str, str]]) -> pd.DataFrame:
    """*frame* with its unreadable images refused (``bad_images: error``) or dropped and noted in *skipped*."""
    if frame[TEXT].str.startswith("builtin:").all():
        return frame
    keep = np.ones(len(frame), dtype=bool)
    for i, ref in enumerate(frame[TEXT]):
        try:
            read_image(ref)
        except BadImageError as err:
            if cfg.bad_images == "error":
                raise
            keep[i] = False
            skipped.append({"file": err.path, "reason": err.reason})
    if not keep.any():
        raise SpecError(MSG_ALL_BAD.format(where=where), field="data.bad_images")
    return frame[keep].reset_index(drop=True)


def _fashion(spec: Spec) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]], dict[str, Any]]:
    """Fashion-MNIST's train split (less a stratified validation share) and its test split."""
    where = fashion_mnist_dir()
    frames = {}
    for split in ("train", "test"):
        _, labels = fashion_mnist_arrays(split)
        frames[split] = pd.DataFrame({TEXT: [f"builtin:{FASHION_MNIST}/{split}/{i}" for i in range(len(labels))],
                                      RAW: [CLASSES[int(y)] for y in labels]})
    frames["train"], frames["validation"] = train_test_split(
        frames["train"], test_size=spec.data.split.validation, random_state=spec.data.split.seed,
        stratify=frames["train"][RAW])
    files = [{"path": f"{FashionInfo.package}:{name}", "sha256": sha256_file(where / name), "split": split}
             for split, names in FILES.items() for name in names]
    info = FashionInfo()
    provenance = {"source": spec.data.source, "title": info.title, "license": info.license,
                  "citation": info.citation, "url": info.url}
    return frames, files, provenance


def _frames(spec: Spec, skipped: list[dict[str, str]]) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]],
                                                                 dict[str, Any]]:
    """(frames per split, data files, provenance)."""
    cfg = spec.data
    if cfg.source and cfg.source.startswith("builtin:"):
        builtin_name(cfg.source, BUILTINS, "image data set")
        return _fashion(spec)
    if cfg.source:
        frame, record = _read(spec, cfg.source, "data.source")
        where = record["path"]
        train, val, test = split_frame(_screen(frame, cfg, where, skipped), cfg, where)
        return {"train": train, "validation": val, "test": test}, [record], {"source": where}
    frames, files = {}, []
    for name in ("train", "validation", "test"):
        frame, record = _read(spec, str(getattr(cfg, name)), f"data.{name}")
        frames[name] = _screen(frame, cfg, record["path"], skipped)
        if name == "train":
            check_groups(frames[name], cfg, record["path"])
        files.append({**record, "split": name})
    return frames, files, {"source": "explicit files"}


def spec_root(spec: Spec) -> Path:
    """The folder image references are relative to: the spec file's (the working folder for a spec from memory)."""
    return Path(spec.source_file).resolve().parent if spec.source_file else Path.cwd()


def _relative(frame: pd.DataFrame, root: Path) -> pd.DataFrame:
    """*frame* with its file references relative to *root* (built-in references unchanged)."""
    refs = [r if r.startswith("builtin:") else os.path.relpath(r, root) for r in frame[TEXT]]
    return frame.assign(**{TEXT: refs})


def load_image_data(spec: Spec) -> DataBundle:
    """The spec's images, screened, split and capped (``data.sample``: images per split)."""
    skipped: list[dict[str, str]] = []
    with in_spec(spec):
        frames, files, provenance = _frames(spec, skipped)
        frames = {k: _relative(v, spec_root(spec)) for k, v in frames.items()}
        if skipped:
            provenance["skipped_images"] = {"count": len(skipped), "first": skipped[:SHOWN_SKIPS]}
        return bundle_splits(frames["train"], frames["validation"], frames["test"], spec.data, files, provenance)
