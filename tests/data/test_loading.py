"""Data loading: splits, and every bad-data case gives a one-line SpecError naming file and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rai_ft.config import load_spec
from rai_ft.data.loading import LABEL, TEXT, load_data
from rai_ft.errors import SpecError
from tests.conftest import make_sentiment_frame, spec_dict, write_yaml


def _load(tmp_path: Path, model_dir: Path, policy: Path, frame: pd.DataFrame | None = None, suffix: str = ".csv",
          raw: bytes | None = None, **kw: object):
    data_path = tmp_path / f"data{suffix}"
    if raw is not None:
        data_path.write_bytes(raw)
    elif suffix == ".csv":
        frame.to_csv(data_path, index=False)
    elif suffix == ".jsonl":
        frame.to_json(data_path, orient="records", lines=True)
    elif suffix == ".parquet":
        frame.to_parquet(data_path)
    spec = load_spec(write_yaml(tmp_path / "s.yaml", spec_dict(model_dir, data_path, policy, **kw)))
    return load_data(spec), data_path


def test_split_sizes_are_stratified_and_deterministic(tmp_path, tiny_model_dir, lenient_policy) -> None:
    frame = make_sentiment_frame(200)
    a, _ = _load(tmp_path, tiny_model_dir, lenient_policy, frame)
    b, _ = _load(tmp_path, tiny_model_dir, lenient_policy, frame)
    assert (len(a.train), len(a.validation), len(a.test)) == (110, 40, 50)
    assert a.test[TEXT].tolist() == b.test[TEXT].tolist()
    assert abs(a.train[LABEL].mean() - 0.5) < 0.05
    assert a.labels == ["neg", "pos"] and a.positive_index == 1
    assert len(a.files) == 1 and len(a.files[0]["sha256"]) == 64


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_other_formats(tmp_path, tiny_model_dir, lenient_policy, suffix) -> None:
    bundle, _ = _load(tmp_path, tiny_model_dir, lenient_policy, make_sentiment_frame(80), suffix=suffix)
    assert len(bundle.train) + len(bundle.validation) + len(bundle.test) == 80


def test_sample_caps_rows(tmp_path, tiny_model_dir, lenient_policy) -> None:
    bundle, _ = _load(tmp_path, tiny_model_dir, lenient_policy, make_sentiment_frame(200),
                      data__sample={"train": 20, "test": 10})
    assert len(bundle.train) == 20 and len(bundle.test) == 10


def test_missing_column_names_file_field_and_column(tmp_path, tiny_model_dir, lenient_policy) -> None:
    with pytest.raises(SpecError) as err:
        _load(tmp_path, tiny_model_dir, lenient_policy, make_sentiment_frame(40), data__label="sentiment")
    assert err.value.field == "data.label"
    assert "'sentiment' not found" in err.value.message
    assert err.value.file.endswith("data.csv")


def test_missing_sensitive_column(tmp_path, tiny_model_dir, lenient_policy) -> None:
    with pytest.raises(SpecError) as err:
        _load(tmp_path, tiny_model_dir, lenient_policy, make_sentiment_frame(40), data__sensitive=["gender"])
    assert err.value.field == "data.sensitive"


def test_missing_data_file(tmp_path, tiny_model_dir, lenient_policy) -> None:
    spec = load_spec(write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, tmp_path / "gone.csv", lenient_policy)))
    with pytest.raises(SpecError, match="file not found"):
        load_data(spec)


def test_empty_dataset(tmp_path, tiny_model_dir, lenient_policy) -> None:
    with pytest.raises(SpecError, match="dataset has no rows"):
        _load(tmp_path, tiny_model_dir, lenient_policy, raw=b"text,label,group\n")


def test_label_with_one_class(tmp_path, tiny_model_dir, lenient_policy) -> None:
    frame = make_sentiment_frame(40).assign(label="pos")
    with pytest.raises(SpecError, match="has only one class") as err:
        _load(tmp_path, tiny_model_dir, lenient_policy, frame)
    assert err.value.field == "data.label"


def test_label_with_nan(tmp_path, tiny_model_dir, lenient_policy) -> None:
    frame = make_sentiment_frame(40)
    frame.loc[3, "label"] = None
    with pytest.raises(SpecError, match="1 missing value"):
        _load(tmp_path, tiny_model_dir, lenient_policy, frame)


def test_sensitive_with_one_group(tmp_path, tiny_model_dir, lenient_policy) -> None:
    with pytest.raises(SpecError, match="sensitive column 'group' has only one group") as err:
        _load(tmp_path, tiny_model_dir, lenient_policy, make_sentiment_frame(40, groups=("only",)))
    assert err.value.field == "data.sensitive"


def test_non_utf8_data_file(tmp_path, tiny_model_dir, lenient_policy) -> None:
    raw = "text,label,group\ncaf\xe9 great,pos,a\nawful,neg,b\n".encode("latin-1")
    with pytest.raises(SpecError, match="not valid UTF-8") as err:
        _load(tmp_path, tiny_model_dir, lenient_policy, raw=raw)
    assert err.value.file.endswith("data.csv")


def test_unknown_positive_label(tmp_path, tiny_model_dir, lenient_policy) -> None:
    with pytest.raises(SpecError) as err:
        _load(tmp_path, tiny_model_dir, lenient_policy, make_sentiment_frame(40), data__positive_label="yes")
    assert err.value.field == "data.positive_label"


def test_builtin_adult_is_real_and_hides_sensitive_columns_from_text() -> None:
    from rai_ft.data.builtin import load_builtin

    frame, info = load_builtin("adult")
    assert len(frame) == 45222  # UCI Adult without missing values
    assert set(frame["label"]) == {"<=50K", ">50K"}
    assert {"Male", "Female"} == set(frame["sex"])
    sample = " ".join(frame["text"].head(500))
    assert " Male" not in sample and "Female" not in sample and "White" not in sample
    assert "CC BY 4.0" in info.license


def test_builtin_compas_is_real_filtered_and_hides_identity_from_text() -> None:
    from rai_ft.data.builtin import load_builtin

    frame, info = load_builtin("compas")
    assert len(frame) == 6172  # ProPublica's filtered two-year recidivism sample
    assert set(frame["label"]) == {"no", "yes"}
    assert {"African-American", "Caucasian"} <= set(frame["race"])
    sample = " ".join(frame["text"].head(500))
    assert "African" not in sample and "Caucasian" not in sample and " Male" not in sample
    assert "ProPublica" in info.citation and info.files[0].name == "compas-scores-two-years.csv"
