"""Spec validation: unknown keys, wrong types and misplaced adapter fields name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from rai_ft.config import load_spec
from rai_ft.errors import MSG_UNKNOWN_KEY, SpecError
from tests.conftest import spec_dict, write_yaml


def _spec(tmp_path: Path, tiny_model_dir: Path, sentiment_csv: Path, lenient_policy: Path, **kw: object) -> Path:
    return write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, lenient_policy, **kw))


def test_valid_spec_loads_with_defaults(tiny_spec: Path) -> None:
    spec = load_spec(tiny_spec)
    assert spec.model.adapter.method == "full"
    assert spec.train.weight_decay == 0.0
    assert spec.source_file == str(tiny_spec)


def test_misspelt_key_names_file_and_field_path(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    data = spec_dict(tiny_model_dir, sentiment_csv, lenient_policy)
    data["train"]["learnig_rate"] = 0.1
    path = write_yaml(tmp_path / "typo.yaml", data)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.file == str(path)
    assert err.value.field == "train.learnig_rate"
    assert err.value.message == MSG_UNKNOWN_KEY


def test_wrong_type_names_field(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    path = _spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, train__epochs="many")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.field == "train.epochs"


def test_adapter_field_for_other_method_is_refused(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    path = _spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy,
                 model={"base": str(tiny_model_dir), "adapter": {"method": "ia3", "r": 4}})
    with pytest.raises(SpecError, match="field 'r' does not apply to method 'ia3'") as err:
        load_spec(path)
    assert err.value.field == "model.adapter"


def test_unknown_adapter_method(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    path = _spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy,
                 model={"base": str(tiny_model_dir), "adapter": {"method": "qlora"}})
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.field == "model.adapter.method"


def test_source_and_explicit_files_conflict(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    data = spec_dict(tiny_model_dir, sentiment_csv, lenient_policy)
    data["data"]["train"] = str(sentiment_csv)
    with pytest.raises(SpecError, match="either source"):
        load_spec(write_yaml(tmp_path / "both.yaml", data))


def test_missing_spec_file_and_bad_yaml(tmp_path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML: line"):
        load_spec(bad)


def test_non_utf8_spec(tmp_path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError, match="not valid UTF-8"):
        load_spec(bad)


def test_relative_paths_resolve_from_spec_folder(tmp_path, tiny_model_dir, lenient_policy) -> None:
    sub = tmp_path / "audits"
    sub.mkdir()
    data = spec_dict(tiny_model_dir, Path("../data.csv"), Path("../lenient.yaml"))
    spec = load_spec(write_yaml(sub / "rel.yaml", data))
    assert spec.resolve_path(spec.policy) == (tmp_path / "lenient.yaml").resolve()


def test_errors_name_the_yaml_line(tmp_path) -> None:
    path = tmp_path / "lines.yaml"
    path.write_text("name: x\npolicy: p.yaml\ndata:\n  source: a.csv\ntrain:\n  epochs: 2\n  learnig_rate: 0.1\n",
                    encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.line == 7
    assert err.value.one_line() == f"{path}:7: train.learnig_rate: {MSG_UNKNOWN_KEY}"
