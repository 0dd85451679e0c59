"""The gate: pass / warn / fail per threshold, failing closed on missing, NaN, infinite or crashed metrics."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from rai_ft.config.policy import Policy
from rai_ft.gate import evaluate_gate, gate_to_junit, gate_to_markdown
from tests.conftest import write_yaml


def _policy(*thresholds: dict) -> Policy:
    return Policy.model_validate({"name": "p", "thresholds": list(thresholds)})


def test_pass_warn_fail_and_overall_is_worst() -> None:
    policy = _policy({"metric": "performance.accuracy", "min": 0.8},
                     {"metric": "fairness.worst.demographic_parity_difference", "max": 0.1, "severity": "warn"})
    assert evaluate_gate(policy, {"performance.accuracy": 0.9,
                                  "fairness.worst.demographic_parity_difference": 0.05})["status"] == "pass"
    warn = evaluate_gate(policy, {"performance.accuracy": 0.9, "fairness.worst.demographic_parity_difference": 0.2})
    assert warn["status"] == "warn" and [r["status"] for r in warn["results"]] == ["pass", "warn"]
    fail = evaluate_gate(policy, {"performance.accuracy": 0.7, "fairness.worst.demographic_parity_difference": 0.2})
    assert fail["status"] == "fail"


def test_bounds_are_inclusive() -> None:
    policy = _policy({"metric": "performance.accuracy", "min": 0.8, "max": 0.9})
    assert evaluate_gate(policy, {"performance.accuracy": 0.8})["status"] == "pass"
    assert evaluate_gate(policy, {"performance.accuracy": 0.9})["status"] == "pass"
    assert evaluate_gate(policy, {"performance.accuracy": 0.95})["status"] == "fail"


def test_missing_metric_fails_closed_even_for_warn_severity() -> None:
    policy = _policy({"metric": "fairness.sex.demographic_parity_difference", "max": 0.1, "severity": "warn"})
    result = evaluate_gate(policy, {})
    assert result["status"] == "fail"
    assert "failing closed" in result["results"][0]["reason"]


def test_nan_and_none_fail_closed() -> None:
    policy = _policy({"metric": "performance.accuracy", "min": 0.0})
    assert evaluate_gate(policy, {"performance.accuracy": math.nan})["status"] == "fail"
    assert evaluate_gate(policy, {"performance.accuracy": None})["status"] == "fail"


def test_crashed_check_fails_its_thresholds() -> None:
    policy = _policy({"metric": "performance.accuracy", "min": 0.0})
    result = evaluate_gate(policy, {"performance.accuracy": 1.0}, {"performance": "error"})
    assert result["status"] == "fail" and "crashed" in result["results"][0]["reason"]


def test_no_thresholds_passes() -> None:
    assert evaluate_gate(_policy(), {})["status"] == "pass"


def test_junit_has_one_testcase_per_threshold_and_failures() -> None:
    policy = _policy({"metric": "performance.accuracy", "min": 0.8},
                     {"metric": "performance.macro_f1", "min": 0.8, "severity": "warn"},
                     {"metric": "performance.macro_recall", "min": 0.1})
    gate = evaluate_gate(policy, {"performance.accuracy": 0.5, "performance.macro_f1": 0.5,
                                  "performance.macro_recall": 0.5})
    root = ET.fromstring(gate_to_junit(gate))
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["performance.accuracy", "performance.macro_f1",
                                              "performance.macro_recall"]
    assert [c.find("failure") is not None for c in cases] == [True, False, False]
    assert root.get("failures") == "1"


def test_markdown_escapes_and_lists_results() -> None:
    policy = _policy({"metric": "performance.accuracy", "min": 0.8})
    md = gate_to_markdown(evaluate_gate(Policy.model_validate({"name": "a|<b>", "thresholds": [
        {"metric": "performance.accuracy", "min": 0.8}]}), {"performance.accuracy": 0.9}), "run-1")
    assert "a\\|&lt;b&gt;" in md and "`performance.accuracy`" in md and "✅ pass" in md
    assert policy.thresholds[0].severity == "fail"


def test_threshold_on_the_upper_confidence_bound() -> None:
    m = "fairness.worst.demographic_parity_difference"
    on_value = _policy({"metric": m, "max": 0.1})
    on_bound = _policy({"metric": m, "max": 0.1, "use": "upper_ci"})
    metrics, ci = {m: 0.05}, {m: [0.01, 0.14]}
    assert evaluate_gate(on_value, metrics, metric_ci=ci)["status"] == "pass"
    res = evaluate_gate(on_bound, metrics, metric_ci=ci)
    assert res["status"] == "fail" and res["results"][0]["value"] == 0.14 and "upper ci" in res["results"][0]["reason"]
    assert evaluate_gate(on_bound, metrics, metric_ci={m: [0.0, 0.09]})["status"] == "pass"
    lower = _policy({"metric": "fairness.worst.demographic_parity_ratio", "min": 0.8, "use": "lower_ci"})
    r = "fairness.worst.demographic_parity_ratio"
    assert evaluate_gate(lower, {r: 0.9}, metric_ci={r: [0.75, 0.98]})["status"] == "fail"
    missing = evaluate_gate(on_bound, metrics)  # no interval: an unmeasured bound fails closed
    assert missing["status"] == "fail" and "no interval" in missing["results"][0]["reason"]


def test_a_metric_measured_under_other_settings_fails_with_the_reason(tmp_path) -> None:
    from rai_ft.registry import measured_settings
    from rai_ft.checks.fairness import FairnessConfig
    from rai_ft.validation import load_policy

    policy = load_policy(write_yaml(tmp_path / "p.yaml", {"name": "p", "checks": {"fairness": {"min_group_size": 30}},
        "thresholds": [{"metric": "fairness.g.demographic_parity_difference", "max": 0.5}]}))
    metrics = {"fairness.g.demographic_parity_difference": 0.1}
    small = {"fairness": measured_settings("fairness", FairnessConfig(min_group_size=5))}
    gate = evaluate_gate(policy, metrics, measured=small)
    assert gate["status"] == "fail" and "min_group_size 5 (this policy: 30)" in gate["results"][0]["reason"]
    same = {"fairness": measured_settings("fairness", FairnessConfig(min_group_size=30))}
    assert evaluate_gate(policy, metrics, measured=same)["status"] == "pass"
    assert evaluate_gate(policy, metrics, measured={})["status"] == "fail"  # no record of how: fail closed
    assert evaluate_gate(policy, metrics)["status"] == "pass"  # the run's own gate: same policy, not compared


@pytest.mark.parametrize("value", [math.inf, -math.inf, np.float64("inf")])
def test_infinity_fails_closed_with_the_reason(value) -> None:
    for bound in ({"min": 0.7}, {"max": 0.7}):
        policy = _policy({"metric": "performance.accuracy", **bound, "severity": "warn"})
        result = evaluate_gate(policy, {"performance.accuracy": value})
        assert result["status"] == "fail"
        assert "not a finite number" in result["results"][0]["reason"] and result["results"][0]["value"] is None


def test_a_value_that_is_not_a_number_fails_closed() -> None:
    policy = _policy({"metric": "performance.accuracy", "min": 0.0})
    for value in ("0.9", True, [0.9]):
        assert evaluate_gate(policy, {"performance.accuracy": value})["status"] == "fail"
    assert evaluate_gate(policy, {"performance.accuracy": np.float32(0.9)})["status"] == "pass"


def test_gate_cli_fails_closed_on_infinity_in_audit_json(tmp_path, capsys) -> None:
    import json

    from rai_ft.cli import main
    from tests.audit_doc import minimal_audit

    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(minimal_audit({"performance.accuracy": math.inf})))  # json writes Infinity
    assert "Infinity" in audit.read_text()
    policy = tmp_path / "p.yaml"
    policy.write_text("name: p\nthresholds:\n  - metric: performance.accuracy\n    min: 0.7\n")
    assert main(["gate", str(audit), "--policy", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "inf (not a finite number); failing closed" in out and "meets" not in out
