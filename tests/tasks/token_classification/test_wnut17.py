"""The built-in WNUT-17 data: sizes, types, provenance, the package footprint, and damaged files failing closed."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from rai_ft.errors import SpecError
from rai_ft.tasks.token_classification import wnut17
from rai_ft.tasks.token_classification.conll import detect_scheme
from rai_ft.tasks.token_classification.entities import extract_entities

ROOT = Path(__file__).resolve().parents[3]


def test_splits_have_the_published_sentence_counts() -> None:
    splits, info = wnut17.load_wnut17()
    assert {k: len(v) for k, v in splits.items()} == {"train": 3394, "validation": 1009, "test": 1287}
    assert info.sentences == {"train": 3394, "validation": 1009, "test": 1287}
    assert all(len(tokens) == len(tags) > 0 for v in splits.values() for tokens, tags in v)
    assert sum(len(t) for t, _ in splits["validation"]) == 15733


def test_entity_types_and_labels_are_those_in_the_data() -> None:
    splits, info = wnut17.load_wnut17()
    for sentences in splits.values():
        tags = [t for _, t in sentences]
        assert {e[0] for s in tags for e in extract_entities(s)} == set(info.entity_types)
        assert {t for s in tags for t in s} == set(info.labels) and detect_scheme(tags) == "IOB2"
    assert info.labels[0] == "O" and len(info.labels) == 13
    assert sum(len(extract_entities(t)) for _, t in splits["test"]) == 1079


def test_provenance_is_recorded() -> None:
    _, info = wnut17.load_wnut17()
    assert info.name == "wnut17" and info.license == "CC BY 4.0" and "Derczynski" in info.citation
    assert "41.9" in info.reference
    readme = (wnut17.DATA_DIR / "README.md").read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", info.citation.split(" (2017)")[0], "41.9", *info.sha256.values()):
        assert needle in readme


def test_package_data_stays_under_one_megabyte_and_is_declared() -> None:
    files = sorted(p.name for p in wnut17.DATA_DIR.iterdir())
    assert files == ["README.md", "dev.conll.xz", "test.conll.xz", "train.conll.xz"]
    assert sum(p.stat().st_size for p in wnut17.DATA_DIR.iterdir()) < 1_000_000
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "tasks/token_classification/data/*" in package_data["rai_ft"]


def _copy_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "data"
    shutil.copytree(wnut17.DATA_DIR, target)
    monkeypatch.setattr(wnut17, "DATA_DIR", target)
    return target


def test_a_missing_file_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _copy_data(tmp_path, monkeypatch)
    (target / "dev.conll.xz").unlink()
    with pytest.raises(SpecError, match=re.escape(wnut17.MSG_DATA_MISSING.format(path=target / "dev.conll.xz"))):
        wnut17.load_wnut17()


def test_a_damaged_file_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _copy_data(tmp_path, monkeypatch)
    raw = bytearray((target / "test.conll.xz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (target / "test.conll.xz").write_bytes(bytes(raw))
    prefix = wnut17.MSG_DATA_CORRUPT.split("(")[0].format(path=target / "test.conll.xz")
    with pytest.raises(SpecError, match=re.escape(prefix)):
        wnut17.load_wnut17()


def test_altered_content_is_caught_by_the_checksum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lzma

    target = _copy_data(tmp_path, monkeypatch)
    text = lzma.decompress((target / "train.conll.xz").read_bytes()).replace(b"B-person", b"B-location", 1)
    (target / "train.conll.xz").write_bytes(lzma.compress(text))
    with pytest.raises(SpecError, match="sha256 .*expected 731820e13f71"):
        wnut17.load_wnut17()
