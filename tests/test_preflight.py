"""Pre-flight: each check on its own, and that a good spec passes them without loading weights."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rai_ft.errors import SpecError
from rai_ft.modeling.inspect import check_model_folder, check_safetensors_file
from rai_ft.pipeline import prepare
from rai_ft.preflight import check_file_arg, check_output, position_limit, preflight
from tests.conftest import spec_dict, write_yaml
from tests.mounts import tmpfs


def test_a_good_spec_passes_with_its_model_and_data(tiny_spec: Path, tmp_path: Path, monkeypatch) -> None:
    import transformers

    def no_weights(*args: object, **kwargs: object) -> None:
        raise AssertionError("pre-flight loaded weights")

    monkeypatch.setattr(transformers.AutoModelForSequenceClassification, "from_pretrained", no_weights)
    checked = preflight(prepare(tiny_spec), output=tmp_path / "reports")
    assert checked.model is not None and checked.model.config["max_position_embeddings"] == 128
    assert len(checked.data.train) > 0 and checked.data.labels == ["neg", "pos"]
    assert not (tmp_path / "reports").exists()  # checked, not created


def test_read_only_output_folder_is_refused(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", read_only=True) as ro:
        if ro is None:
            pytest.skip("cannot mount a read-only tmpfs here")
        with pytest.raises(SpecError, match="Read-only file system") as err:
            check_output(ro / "reports")
        assert err.value.field == "--output"


def test_output_checks_leave_no_probe_behind(tmp_path: Path) -> None:
    check_output(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_junit_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="is a directory") as err:
        check_file_arg(tmp_path, "--junit")
    assert err.value.field == "--junit"
    check_file_arg(tmp_path / "new" / "gate.xml", "--junit")  # a parent to be created is fine


def test_position_limit_from_config() -> None:
    assert position_limit({"model_type": "bert", "max_position_embeddings": 512}) == 512
    assert position_limit({"model_type": "roberta", "max_position_embeddings": 514, "pad_token_id": 1}) == 512
    assert position_limit({"model_type": "gpt2", "n_positions": 1024}) == 1024
    assert position_limit({"model_type": "t5"}) is None


def test_truncated_safetensors_is_found_without_loading(tiny_model_dir: Path, tmp_path: Path) -> None:
    weights = next(tiny_model_dir.glob("*.safetensors"))
    check_safetensors_file(weights, "--model")  # the whole file passes
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(weights.read_bytes()[:-1])
    with pytest.raises(SpecError, match="truncated"):
        check_safetensors_file(cut, "--model")


def test_corrupt_rai_ft_meta(tiny_model_dir: Path, tmp_path: Path) -> None:
    import shutil

    m = tmp_path / "m"
    shutil.copytree(tiny_model_dir, m)
    (m / "rai_ft_model.json").write_text(json.dumps({"base": "x", "labels": ["only"]}))
    with pytest.raises(SpecError, match="at least two 'labels'"):
        check_model_folder(m, "--model")


def test_hub_id_with_no_network_is_one_line_and_makes_no_request(tmp_path, tiny_model_dir, sentiment_csv,
                                                                  lenient_policy, monkeypatch) -> None:
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)

    def unreachable(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("a request was made although the hub is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_download)
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, lenient_policy,
                                                     model={"base": "someorg/somemodel"}))
    with pytest.raises(SpecError) as err:
        preflight(prepare(spec))
    line = err.value.one_line()
    assert line.startswith(f"{spec}:") and "model.base" in line and "cannot reach" in line and "\n" not in line


def test_hub_id_through_the_real_cli_is_one_line_and_quick(tmp_path, tiny_model_dir, sentiment_csv,
                                                           lenient_policy) -> None:
    """No HF_HUB_OFFLINE: whatever the network does, one line, without the HTTP stack's retries."""
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, lenient_policy,
                                                     model={"base": "someorg/somemodel"}))
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "rai_ft", "validate", str(spec)], capture_output=True, text=True,
                          env=env, timeout=300)
    elapsed = time.monotonic() - start
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"rai-ft: error: {spec}:") and "model.base" in lines[0]
    assert "Retrying" not in proc.stderr and elapsed < 240  # the HTTP stack's 5 retries with backoff take a minute


def test_validate_finds_what_run_would(tmp_path, tiny_spec, capsys) -> None:
    from rai_ft.cli import main

    (tmp_path / "out").write_text("a file")
    assert main(["validate", str(tiny_spec), "--output", str(tmp_path / "out")]) == 2
    assert "--output" in capsys.readouterr().err
    assert main(["validate", str(tiny_spec), "--output", str(tmp_path / "reports")]) == 0
    assert "model " in capsys.readouterr().out


def test_read_only_folders_are_refused_by_every_writing_command(tmp_path, tiny_spec, capsys) -> None:
    import json as _json

    from rai_ft.cli import main
    from tests.audit_doc import minimal_audit

    run = tmp_path / "ro" / "run"
    run.mkdir(parents=True)
    (run / "audit.json").write_text(_json.dumps(minimal_audit({"performance.accuracy": 0.9})))
    policy = tmp_path / "p.yaml"
    policy.write_text("name: p\nthresholds:\n  - metric: performance.accuracy\n    min: 0.1\n")
    subprocess.run(["mount", "--bind", str(tmp_path / "ro"), str(tmp_path / "ro")], capture_output=True)
    proc = subprocess.run(["mount", "-o", "remount,bind,ro", str(tmp_path / "ro")], capture_output=True)
    if proc.returncode != 0:
        subprocess.run(["umount", str(tmp_path / "ro")], capture_output=True)
        pytest.skip("cannot make a read-only bind mount here")
    try:
        for argv, flag in ([["run", str(tiny_spec), "--output", str(run.parent / "reports")], "--output"],
                           [["report", str(run)], "RUN_DIR"], [["init", str(run.parent / "proj")], "DIR"],
                           [["gate", str(run), "--policy", str(policy), "--junit", str(run / "j.xml")], "--junit"]):
            assert main(argv) == 2, argv
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and f"{flag}: cannot write to" in err[0] and "Read-only file system" in err[0]
    finally:
        subprocess.run(["umount", "-l", str(tmp_path / "ro")], capture_output=True)


def test_a_relative_path_in_an_existing_folder_is_a_path_not_a_hub_id(tmp_path, monkeypatch) -> None:
    from rai_ft.modeling.inspect import check_base

    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    with pytest.raises(SpecError, match="model folder not found: models/bert"):
        check_base("models/bert", None, False)
    with pytest.raises(SpecError, match="Hugging Face cache"):  # no such folder: it can only be a hub id
        check_base("someorg/bert", None, False)
