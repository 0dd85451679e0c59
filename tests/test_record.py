"""audit.json schema validation, JSON sanitising and the atomic run directory."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rai_ft.record import AuditSchemaError, sanitize, staged_run_dir, validate_audit, write_text_atomic


def test_sanitize_makes_strict_json() -> None:
    doc = sanitize({"a": math.nan, "b": np.float32(0.5), "c": np.int64(3), "d": (1, math.inf), "e": np.array([1, 2])})
    assert doc == {"a": None, "b": 0.5, "c": 3, "d": [1, None], "e": [1, 2]}
    json.dumps(doc, allow_nan=False)


def test_schema_rejects_incomplete_and_wrong_documents() -> None:
    with pytest.raises(AuditSchemaError, match="schema"):
        validate_audit({"schema_version": "1.0"})
    with pytest.raises(AuditSchemaError):
        validate_audit({"schema_version": "0.9"})


def test_staged_dir_is_renamed_on_success(tmp_path) -> None:
    final = tmp_path / "run"
    with staged_run_dir(final) as tmp:
        (tmp / "x.txt").write_text("ok")
        assert not final.exists()
    assert (final / "x.txt").read_text() == "ok"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_staged_dir_leaves_nothing_on_failure(tmp_path) -> None:
    with pytest.raises(RuntimeError):
        with staged_run_dir(tmp_path / "run") as tmp:
            (tmp / "half.json").write_text("{")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_write_text_atomic_replaces_whole_file(tmp_path) -> None:
    path = tmp_path / "a.txt"
    write_text_atomic(path, "one")
    write_text_atomic(path, "two")
    assert path.read_text() == "two" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
