"""Fairness mitigation: reweighing weights, group thresholds that close a gap the gate fails, saved and re-applied."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from rai_ft.cli import main
from rai_ft.errors import SpecError
from rai_ft.fairness.reweighing import reweighing_weights
from rai_ft.pipeline import audit, run
from tests.conftest import SEED, FILLER, NEGATIVE_WORDS, POSITIVE_WORDS, spec_dict, write_yaml

GAP = "fairness.group.demographic_parity_difference"


def test_reweighing_makes_label_independent_of_group() -> None:
    groups = np.array(["a"] * 80 + ["b"] * 20)
    labels = np.array([1] * 60 + [0] * 20 + [1] * 5 + [0] * 15)
    w = reweighing_weights(groups, labels)
    overall = labels.mean()
    for g in ("a", "b"):
        m = groups == g
        assert np.isclose((w[m] * labels[m]).sum() / w[m].sum(), overall)
    assert np.isclose(w.sum(), len(w))


def biased_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """The label follows a sentiment word; group a is mostly positive, group b mostly negative."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        group = "a" if i % 2 else "b"
        label = int(rng.random() < (0.8 if group == "a" else 0.2))
        words = [rng.choice(FILLER) for _ in range(rng.randint(4, 8))]
        words.insert(rng.randint(0, len(words)), rng.choice(POSITIVE_WORDS if label else NEGATIVE_WORDS))
        rows.append({"text": " ".join(words), "label": "pos" if label else "neg", "group": group})
    return pd.DataFrame(rows)


@pytest.fixture()
def biased_spec(tmp_path, tiny_model_dir):
    csv = tmp_path / "biased.csv"
    biased_frame(600).to_csv(csv, index=False)

    def make(guards: dict) -> str:
        policy = write_yaml(tmp_path / f"p{len(guards)}.yaml", {
            "name": "parity", "guards": guards, "checks": {"fairness": {"min_group_size": 20, "bootstrap": 100}},
            "thresholds": [{"metric": GAP, "max": 0.2}]})
        spec = spec_dict(tiny_model_dir, csv, policy, train={"epochs": 6, "batch_size": 16, "learning_rate": 5e-3,
                                                             "max_length": 32, "seed": SEED, "early_stopping": None})
        return str(write_yaml(tmp_path / f"s{len(guards)}.yaml", spec))
    return make


def test_threshold_optimizer_closes_a_gap_the_gate_fails(tmp_path, biased_spec) -> None:
    _, plain = run(biased_spec({}), tmp_path / "r", quiet=True)
    assert plain["metrics"][GAP] > 0.4 and plain["gate"]["status"] == "fail"
    lo, hi = plain["metric_ci"][GAP]
    assert lo <= plain["metrics"][GAP] <= hi
    out, fixed = run(biased_spec({"fairness_mitigation": {"method": "threshold_optimizer"}}), tmp_path / "r",
                     quiet=True)
    assert fixed["metrics"][GAP] <= 0.2 and fixed["gate"]["status"] == "pass"
    mi = fixed["mitigation"]
    assert mi["before"][GAP] > 0.4 and mi["after"][GAP] == fixed["metrics"][GAP]
    assert "performance.accuracy" in mi["before"] and "performance.accuracy" in mi["after"]
    change = fixed["metrics"]["fairness.mitigation_gap_change"]
    assert mi["targeted"] == GAP and change == pytest.approx(mi["after"][GAP] - mi["before"][GAP]) and change < -0.2
    assert fixed["metrics"]["fairness.mitigation_accuracy_change"] == pytest.approx(
        mi["after"]["performance.accuracy"] - mi["before"]["performance.accuracy"])
    saved = json.loads((out / "model" / "fairness_thresholds.json").read_text())
    assert saved["column"] == "group" and set(saved["groups"]) == {"a", "b"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Fairness mitigation: before vs after" in html
    assert "sensitive attribute is needed at prediction time" in (out / "model_card.md").read_text(encoding="utf-8")
    # rai-ft audit re-applies the saved thresholds
    _, audited = audit(biased_spec({}), out / "model", tmp_path / "r2", quiet=True)
    assert audited["metrics"][GAP] == pytest.approx(fixed["metrics"][GAP])
    assert audited["mitigation"]["before"][GAP] > 0.4


def test_predict_helper_needs_the_group_for_a_thresholded_model(tmp_path, biased_spec) -> None:
    from rai_ft.predict import predict

    out, _ = run(biased_spec({"fairness_mitigation": {"method": "threshold_optimizer"}}), tmp_path / "r", quiet=True)
    texts = ["the film was great", "the plot was awful"]
    with pytest.raises(SpecError, match="group thresholds by 'group'"):
        predict(out / "model", texts)
    labels = predict(out / "model", texts, sensitive=["a", "b"])
    assert set(labels) <= {"pos", "neg"} and len(labels) == 2
    with pytest.raises(SpecError, match="was not seen"):
        predict(out / "model", texts, sensitive=["a", "zzz"])


def test_reweighing_with_baseline_reports_before_and_after(tmp_path, biased_spec) -> None:
    _, doc = run(biased_spec({"fairness_mitigation": {"method": "reweighing", "baseline": True}}), tmp_path / "r",
                 quiet=True)
    mi = doc["mitigation"]
    assert mi["method"] == "reweighing" and mi["before"] and mi["after"]
    assert "baseline" in mi["before_source"]
    assert doc["training"]["baseline"]["epochs_run"] == 6


def test_reweighing_refuses_dp(tmp_path, biased_spec) -> None:
    path = biased_spec({"fairness_mitigation": {"method": "reweighing"}, "dp": {"target_epsilon": 8}})
    assert main(["run", path, "--output", str(tmp_path / "r"), "--quiet"]) == 2


def test_unknown_mitigation_column_names_the_policy_file_and_line(tmp_path, biased_spec, capsys) -> None:
    spec = biased_spec({"fairness_mitigation": {"method": "threshold_optimizer", "sensitive": "nope"}})
    policy = tmp_path / "p1.yaml"
    line = next(i for i, t in enumerate(policy.read_text().splitlines(), 1) if "sensitive: nope" in t)
    assert main(["run", spec, "--output", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"rai-ft: error: {policy}:{line}: guards.fairness_mitigation.sensitive: fairness_mitigation."
                   "sensitive 'nope' is not one of data.sensitive (group)")


def test_a_mitigation_that_backfires_or_costs_too_much_is_a_warning() -> None:
    from rai_ft.fairness.effect import MSG_BACKFIRED, mitigation_effect

    key = "fairness.g.demographic_parity_difference"
    before = {key: 0.10, "performance.accuracy": 0.90}
    metrics, findings = mitigation_effect(before, {key: 0.15, "performance.accuracy": 0.85}, "g",
                                          "demographic_parity", 0.02)
    assert metrics["fairness.mitigation_gap_change"] == pytest.approx(0.05)
    assert metrics["fairness.mitigation_accuracy_change"] == pytest.approx(-0.05)
    assert [f.message for f in findings][0] == MSG_BACKFIRED.format(metric=key, before=0.10, after=0.15,
                                                                    change=metrics["fairness.mitigation_gap_change"])
    assert len(findings) == 2 and "cost 5.0% accuracy" in findings[1].message
    _, good = mitigation_effect(before, {key: 0.02, "performance.accuracy": 0.89}, "g", "demographic_parity", 0.02)
    assert good == []
    unmeasured, none = mitigation_effect({}, {key: 0.02}, "g", "demographic_parity", 0.02)
    assert unmeasured["fairness.mitigation_gap_change"] is None and none == []


def test_gap_change_is_a_gateable_metric(tmp_path) -> None:
    from rai_ft.validation import load_policy

    path = write_yaml(tmp_path / "p.yaml", {"name": "x", "thresholds": [
        {"metric": "fairness.mitigation_gap_change", "max": 0.0}]})
    assert load_policy(path).thresholds[0].metric == "fairness.mitigation_gap_change"
