"""The robustness check on the tiny model: metrics, groups, examples, gate, report, and the CLI exit code."""

from __future__ import annotations

import json

import pytest

from rai_ft.cli import main
from rai_ft.pipeline import run
from tests.conftest import make_sentiment_frame, run_dirs, spec_dict, write_yaml


def _policy(tmp_path, max_rate: float, **check):
    return write_yaml(tmp_path / "rob.yaml", {
        "name": "rob", "checks": {"robustness": {"max_examples": 40, **check}, "fairness": {"min_group_size": 5}},
        "thresholds": [{"metric": "robustness.attack_success_rate", "max": max_rate}]})


def test_check_reports_attack_metrics_groups_and_examples(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, _policy(tmp_path, 1.0)))
    out, doc = run(spec, tmp_path / "reports", quiet=True)
    c = doc["checks"]["robustness"]
    assert c["status"] == "ok", c["error"]
    s = c["details"]["summary"]
    assert s["attacked"] == 40 == s["succeeded"] + s["failed"] + s["skipped"]
    assert doc["metrics"]["robustness.attack_success_rate"] == s["attack_success_rate"]
    assert doc["metrics"]["robustness.accuracy_under_attack"] == s["failed"] / 40
    assert c["details"]["recipe"]["name"] == "deepwordbug" and c["details"]["recipe"]["max_edit_distance"] == 30
    groups = c["details"]["groups"]["group"]
    assert sum(g["attacked"] for g in groups) == 40
    for ex in c["details"]["examples"]:
        assert ex["status"] == "succeeded" and ex["changed"]
        assert all(ex["original_words"][i] != ex["perturbed_words"][i] for i in ex["changed"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Robustness under adversarial attack" in html and "max edit distance 30" in html
    if c["details"]["examples"]:
        assert "<mark>" in html
    assert "## Robustness" in (out / "model_card.md").read_text(encoding="utf-8")


def test_attack_text_is_escaped_in_the_report(tmp_path, tiny_model_dir) -> None:
    df = make_sentiment_frame(240)
    df["text"] = "<script>alert('x')</script> " + df["text"]
    df["label"] = df["label"].map({"pos": "<b>pos</b>", "neg": "neg"})
    csv = tmp_path / "evil.csv"
    df.to_csv(csv, index=False)
    spec = spec_dict(tiny_model_dir, csv, _policy(tmp_path, 1.0, show_examples=40))
    spec["data"]["positive_label"] = "<b>pos</b>"
    # the longer texts take longer to learn; a model that predicts one class is not attackable
    spec["train"]["epochs"] = 12
    out, doc = run(write_yaml(tmp_path / "s.yaml", spec), tmp_path / "reports", quiet=True)
    html = (out / "report.html").read_text(encoding="utf-8")
    examples = doc["checks"]["robustness"]["details"]["examples"]
    assert examples and all(ex["original"].startswith("<script>") for ex in examples)
    assert {ex["label_name"] for ex in examples} & {"<b>pos</b>"}
    assert "<script" not in html and "<b>pos</b>" not in html and "&lt;b&gt;pos&lt;/b&gt;" in html


def test_policy_threshold_gates_the_run_exit_code(tmp_path, tiny_model_dir, sentiment_csv, capsys) -> None:
    strict = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, _policy(tmp_path, 0.0)))
    code = main(["run", str(strict), "--output", str(tmp_path / "r"), "--quiet"])
    doc = json.loads((run_dirs(tmp_path / "r")[0] / "audit.json").read_text())
    rate = doc["metrics"]["robustness.attack_success_rate"]
    assert rate is not None and rate > 0  # the tiny model is easy to fool
    assert code == 1 and doc["gate"]["status"] == "fail"
    run_dir = str(run_dirs(tmp_path / "r")[0])
    other = write_yaml(tmp_path / "other-rob.yaml", {  # default settings: 200 examples, not the 40 measured
        "name": "l", "thresholds": [{"metric": "robustness.attack_success_rate", "max": 1.0}]})
    assert main(["gate", run_dir, "--policy", str(other)]) == 1
    assert "measured under other robustness settings" in capsys.readouterr().out
    same = write_yaml(tmp_path / "same-rob.yaml", {"name": "l", "checks": {"robustness": {"max_examples": 40}},
                                                   "thresholds": [{"metric": "robustness.attack_success_rate",
                                                                   "max": 1.0}]})
    assert main(["gate", run_dir, "--policy", str(same)]) == 0
    accepting = write_yaml(tmp_path / "accept-rob.yaml", {"name": "l", "thresholds": [
        {"metric": "robustness.attack_success_rate", "max": 1.0, "accept_other_settings": True}]})
    assert main(["gate", run_dir, "--policy", str(accepting)]) == 0


def test_bf16_guided_search_reports_only_fp32_confirmed_successes(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    from rai_ft.modeling.artifacts import load_saved_model
    from rai_ft.modeling.inference import predict_proba

    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv,
                                                     _policy(tmp_path, 1.0, search_precision="bf16")))
    out, doc = run(spec, tmp_path / "reports", quiet=True)
    d = doc["checks"]["robustness"]["details"]
    assert d["search"].startswith("bf16-guided")
    assert "bf16-guided search" in (out / "report.html").read_text(encoding="utf-8")
    model, tok, _ = load_saved_model(out / "model")
    shown = [ex for ex in d["examples"] if ex["status"] == "succeeded"]
    assert shown, "the tiny model should be flipped at least once"
    p = predict_proba(model, tok, [ex["perturbed"] for ex in shown], 32, progress=False)
    for ex, row in zip(shown, p):
        assert int(row.argmax()) != ex["label"]  # adversarial for the fp32 model
        assert row[ex["label"]] == pytest.approx(ex["p_true_after"], abs=1e-5)
