"""Each CLI verb end to end on the tiny model, with exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rai_ft.cli import COMMANDS, main
from tests.conftest import run_dirs, spec_dict, write_yaml


@pytest.fixture()
def run_dir(tmp_path, tiny_spec, capsys) -> Path:
    code = main(["run", str(tiny_spec), "--output", str(tmp_path / "reports"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    dirs = run_dirs(tmp_path / "reports")
    assert len(dirs) == 1
    assert f"report: {dirs[0] / 'report.html'}" in out
    return dirs[0]


def test_run_writes_complete_run_directory(run_dir: Path) -> None:
    names = {p.name for p in run_dir.iterdir()}
    assert {"audit.json", "report.html", "model_card.md", "model"} <= names
    doc = json.loads((run_dir / "audit.json").read_text())
    assert doc["kind"] == "run" and doc["status"] in {"pass", "warn"}
    assert doc["training"]["steps"] > 0
    assert set(doc["checks"]) == {"performance", "fairness", "privacy", "data"}
    assert doc["model"]["weights_sha256"] and all(len(v) == 64 for v in doc["model"]["weights_sha256"].values())
    assert len(doc["policy"]["sha256"]) == 64 and doc["data"]["files"][0]["sha256"]
    assert doc["environment"]["libraries"]["torch"]


def test_gate_strict_fails_and_lenient_passes(run_dir, strict_policy, lenient_policy, tmp_path, capsys) -> None:
    doc = json.loads((run_dir / "audit.json").read_text())
    assert doc["metrics"]["fairness.group.demographic_parity_difference"] > 0  # what makes strict fail
    junit, summary = tmp_path / "gate.xml", tmp_path / "summary.md"
    assert main(["gate", str(run_dir / "audit.json"), "--policy", str(strict_policy), "--junit", str(junit),
                 "--summary", str(summary)]) == 1
    assert "gate: FAIL" in capsys.readouterr().out
    assert junit.read_text().count("<testcase") == 2 and "❌ fail" in summary.read_text()
    assert main(["gate", str(run_dir), "--policy", str(lenient_policy)]) == 0


def test_gate_fail_on_warn(run_dir, tmp_path, capsys) -> None:
    warn_policy = write_yaml(tmp_path / "w.yaml", {"name": "w", "thresholds": [
        {"metric": "performance.n_test", "max": 1, "severity": "warn"}]})  # a test split always has > 1 row
    assert main(["gate", str(run_dir), "--policy", str(warn_policy)]) == 0
    assert "gate: WARN" in capsys.readouterr().out
    assert main(["gate", str(run_dir), "--policy", str(warn_policy), "--fail-on", "warn"]) == 1


def test_report_rerenders_from_audit_json_alone(run_dir, capsys) -> None:
    (run_dir / "report.html").unlink()
    (run_dir / "model_card.md").unlink()
    doc = json.loads((run_dir / "audit.json").read_text())
    doc["spec"]["name"] = "renamed-in-audit-json"
    (run_dir / "audit.json").write_text(json.dumps(doc))
    assert main(["report", str(run_dir)]) == 0
    assert "renamed-in-audit-json" in (run_dir / "report.html").read_text()
    assert "renamed-in-audit-json" in (run_dir / "model_card.md").read_text()


def test_audit_existing_model_reproduces_run_metrics(run_dir, tiny_spec, tmp_path, capsys) -> None:
    out = tmp_path / "audits"
    assert main(["audit", str(tiny_spec), "--model", str(run_dir / "model"), "--output", str(out), "--quiet"]) == 0
    audited = json.loads(run_dirs(out)[0].joinpath("audit.json").read_text())
    original = json.loads((run_dir / "audit.json").read_text())
    assert audited["kind"] == "audit" and audited["training"] is None
    assert audited["metrics"]["performance.accuracy"] == pytest.approx(original["metrics"]["performance.accuracy"])
    assert audited["metrics"]["privacy.mia_auc"] is not None  # same split: the members are known


def test_audit_on_another_split_skips_membership_inference(run_dir, tmp_path, tiny_model_dir, sentiment_csv,
                                                           lenient_policy, capsys) -> None:
    other = spec_dict(tiny_model_dir, sentiment_csv, lenient_policy)
    other["data"]["split"]["seed"] = 99
    spec = write_yaml(tmp_path / "other.yaml", other)
    assert main(["audit", str(spec), "--model", str(run_dir / "model"), "--output", str(tmp_path / "o"), "-q"]) == 0
    doc = json.loads((run_dirs(tmp_path / "o")[0] / "audit.json").read_text())
    assert "privacy.mia_auc" not in doc["metrics"]
    assert any("membership-inference audit skipped" in f["message"] for f in doc["findings"])


def test_validate_spec_and_policy(tiny_spec, strict_policy, capsys) -> None:
    assert main(["validate", str(tiny_spec)]) == 0
    assert main(["validate", str(strict_policy)]) == 0
    assert capsys.readouterr().out.count("ok:") == 2


def _bad_input(argv: list[str], capsys) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_spec_exit_2_one_line_no_report_dir(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy,
                                                capsys) -> None:
    data = spec_dict(tiny_model_dir, sentiment_csv, lenient_policy)
    data["data"]["label"] = "nope"
    spec = write_yaml(tmp_path / "bad.yaml", data)
    err = _bad_input(["run", str(spec), "--output", str(tmp_path / "reports")], capsys)
    assert "data.label" in err and "'nope' not found" in err
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())  # nothing at all


def test_policy_threshold_on_attribute_the_data_lacks(tmp_path, tiny_model_dir, sentiment_csv, capsys) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {"name": "p", "thresholds": [
        {"metric": "fairness.gender.demographic_parity_difference", "max": 0.1}]})
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, policy))
    err = _bad_input(["validate", str(spec)], capsys)
    assert "thresholds[0].metric" in err and "'gender'" in err


def test_unknown_metric_in_policy_exit_2(tmp_path, capsys) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {"name": "p", "thresholds": [{"metric": "accuracy", "min": 0.1}]})
    err = _bad_input(["validate", str(policy)], capsys)
    assert "unknown metric 'accuracy'" in err


def test_gate_on_missing_or_corrupt_audit(tmp_path, lenient_policy, capsys) -> None:
    _bad_input(["gate", str(tmp_path / "none.json"), "--policy", str(lenient_policy)], capsys)
    bad = tmp_path / "audit.json"
    bad.write_text('{"schema_version": "1.0"}')
    err = _bad_input(["gate", str(bad), "--policy", str(lenient_policy)], capsys)
    assert "schema" in err


def test_runtime_error_is_exit_3_without_partial_report(tmp_path, tiny_spec, capsys, monkeypatch) -> None:
    import rai_ft.pipeline as pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "write_outputs", boom)
    code = main(["run", str(tiny_spec), "--output", str(tmp_path / "reports"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3 and "disk on fire" in err and "Traceback" not in err
    assert not (tmp_path / "reports").exists()  # the run created the folder and kept nothing, so it is gone too


def test_every_command_has_help() -> None:
    for name in COMMANDS:
        proc = subprocess.run([sys.executable, "-m", "rai_ft", name, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "usage: rai-ft " + name in proc.stdout


def test_console_script_is_installed() -> None:
    proc = subprocess.run([str(Path(sys.executable).parent / "rai-ft"), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("rai-ft ")


def test_init_scaffolds_valid_files_and_keeps_existing(tmp_path, capsys) -> None:
    assert main(["init", str(tmp_path / "proj")]) == 0
    proj = tmp_path / "proj"
    assert (proj / "audits" / "example.yaml").is_file() and (proj / "policies" / "strict.yaml").is_file()
    assert main(["validate", str(proj / "audits" / "example.yaml"), "--no-data"]) == 0
    for policy in (proj / "policies").glob("*.yaml"):
        assert main(["validate", str(policy)]) == 0
    (proj / "policies" / "default.yaml").write_text("name: mine\n")
    assert main(["init", str(proj)]) == 0
    assert (proj / "policies" / "default.yaml").read_text() == "name: mine\n"
    assert "kept" in capsys.readouterr().out


def test_shipped_templates_match_the_repository_policies() -> None:
    root = Path(__file__).resolve().parents[2]
    for policy in (root / "policies").glob("*.yaml"):
        template = root / "rai_ft" / "templates" / "policies" / policy.name
        assert template.read_text() == policy.read_text(), f"{template} is out of date: copy {policy}"


def test_init_refuses_a_file_as_folder(tmp_path, capsys) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    err = _bad_input(["init", str(target)], capsys)
    assert "not a folder" in err
