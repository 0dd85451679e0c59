"""Several training seeds in one run: one model per seed, every metric's spread, the gate on the worst seed."""

from __future__ import annotations

import json

import pytest

from rai_ft.cli import main
from rai_ft.validation import load_policy
from rai_ft.multiseed import gate_across_seeds, seed_run_entry, spread
from rai_ft.pipeline import run
from tests.conftest import SEED, run_dirs, spec_dict, write_yaml


def _runs(values: list[float | None], metric: str = "performance.accuracy") -> list[dict]:
    return [seed_run_entry(i + 1, {metric: v}, {}, {"performance": "ok"}, []) for i, v in enumerate(values)]


def _policy(tmp_path, aggregate: str = "worst", **threshold: object):
    return load_policy(write_yaml(tmp_path / f"p-{aggregate}.yaml", {
        "name": "p", "seed_aggregate": aggregate,
        "thresholds": [{"metric": "performance.accuracy", **(threshold or {"min": 0.8})}]}))


def test_the_gate_takes_the_worst_seed_and_names_it(tmp_path) -> None:
    gate = gate_across_seeds(_policy(tmp_path), _runs([0.9, 0.75, 0.85]))
    assert gate["status"] == "fail" and gate["results"][0]["seed"] == 2 and gate["results"][0]["value"] == 0.75
    assert gate["disagreements"] == [{"metric": "performance.accuracy",
                                      "statuses": {"1": "pass", "2": "fail", "3": "pass"},
                                      "values": {"1": 0.9, "2": 0.75, "3": 0.85}}]
    assert [p["status"] for p in gate["per_seed"]] == ["pass", "fail", "pass"]


def test_worst_is_the_seed_closest_to_the_bound_when_all_pass(tmp_path) -> None:
    gate = gate_across_seeds(_policy(tmp_path, max=0.3), _runs([0.1, 0.25, 0.2]))
    assert gate["status"] == "pass" and gate["results"][0]["seed"] == 2 and not gate["disagreements"]


def test_mean_aggregate_gates_the_mean_and_an_unmeasured_seed_fails_closed(tmp_path) -> None:
    policy = _policy(tmp_path, "mean")
    gate = gate_across_seeds(policy, _runs([0.9, 0.75, 0.85]))
    assert gate["status"] == "pass" and gate["results"][0]["value"] == pytest.approx(2.5 / 3)
    unmeasured = gate_across_seeds(policy, _runs([0.9, None, 0.85]))
    assert unmeasured["status"] == "fail" and "failing closed" in unmeasured["results"][0]["reason"]
    assert gate_across_seeds(_policy(tmp_path), _runs([0.9, None, 0.85]))["results"][0]["seed"] == 2


def test_a_crashed_check_in_any_seed_fails_the_mean_gate(tmp_path) -> None:
    runs = _runs([0.9, 0.9])
    runs[1]["check_status"] = {"performance": "error"}
    assert gate_across_seeds(_policy(tmp_path, "mean"), runs)["status"] == "fail"
    assert gate_across_seeds(_policy(tmp_path), runs)["status"] == "fail"


def test_spread_matches_numpy_and_leaves_incomplete_metrics_unsummarised() -> None:
    import numpy as np

    stats = spread(_runs([0.9, 0.75, 0.85]))["performance.accuracy"]
    assert stats["std"] == pytest.approx(float(np.std([0.9, 0.75, 0.85], ddof=1)))
    assert stats["range"] == pytest.approx(0.15) and stats["mean"] == pytest.approx(2.5 / 3)
    partial = spread(_runs([0.9, None]))["performance.accuracy"]
    assert partial["values"] == [0.9, None] and partial["mean"] is None and partial["range"] is None


def test_multi_seed_run_end_to_end(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {
        "name": "seeds", "checks": {"fairness": {"min_group_size": 5}},
        "thresholds": [{"metric": "performance.accuracy", "min": 0.0},
                       {"metric": "fairness.group.demographic_parity_difference", "max": 1.0}]})
    spec = spec_dict(tiny_model_dir, sentiment_csv, policy)
    spec["train"]["seeds"] = [SEED, SEED + 1, SEED + 2]
    out, doc = run(write_yaml(tmp_path / "s.yaml", spec), tmp_path / "r", quiet=True)
    multi = doc["multi_seed"]
    assert multi["seeds"] == [SEED, SEED + 1, SEED + 2] and doc["gate"]["aggregate"] == "worst"
    assert [r["seed"] for r in multi["runs"]] == multi["seeds"]
    assert all((out / d).is_dir() for d in ("model", f"model-seed-{SEED + 1}", f"model-seed-{SEED + 2}"))
    hashes = {json.dumps(r["weights_sha256"], sort_keys=True) for r in multi["runs"]}
    assert len(hashes) == 3  # three different models
    acc = multi["spread"]["performance.accuracy"]
    assert acc["values"] == [r["metrics"]["performance.accuracy"] for r in multi["runs"]]
    assert acc["values"][0] == doc["metrics"]["performance.accuracy"]  # the first seed is the primary record
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="seeds"' in html and f"model-seed-{SEED + 2}" in html
    assert "Audited across 3 training seeds" in (out / "model_card.md").read_text(encoding="utf-8")


def test_seeds_flag_and_regating_with_another_aggregate(tmp_path, tiny_model_dir, sentiment_csv, capsys) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {"name": "seeds", "checks": {"fairness": {"min_group_size": 5}},
                                              "thresholds": [{"metric": "performance.accuracy", "min": 0.0}]})
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, policy))
    assert main(["run", str(spec), "--seeds", "2", "-o", str(tmp_path / "r"), "-q"]) == 0
    run_dir = run_dirs(tmp_path / "r")[0]
    doc = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    assert doc["multi_seed"]["seeds"] == [SEED, SEED + 1]
    values = doc["multi_seed"]["spread"]["performance.accuracy"]["values"]
    strict = write_yaml(tmp_path / "strict.yaml", {"name": "strict", "seed_aggregate": "mean",
                                                   "thresholds": [{"metric": "performance.accuracy",
                                                                   "min": max(values) + 1e-9}]})
    assert main(["gate", str(run_dir), "--policy", str(strict)]) == 1
    assert "mean over seeds" in capsys.readouterr().out
    assert main(["run", str(spec), "--seeds", "0", "-o", str(tmp_path / "r2"), "-q"]) == 2
