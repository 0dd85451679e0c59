"""Reproducible runs: the same spec, seed and machine give the same audit.json metrics, bit for bit."""

from __future__ import annotations

import json

from rai_ft.pipeline import run
from tests.conftest import spec_dict, write_yaml

ALL_CHECKS = {"fairness": {"min_group_size": 5, "bootstrap": 100},
              "robustness": {"max_examples": 12},
              "attribution": {"max_examples": 4, "ig_steps": 8, "shap_max_evals": 40},
              "counterfactual": {"min_counterfactuals": 1},
              "privacy": {}, "documentation": {}}


def _without_timings(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _without_timings(v) for k, v in obj.items() if not k.endswith("seconds")}
    if isinstance(obj, list):
        return [_without_timings(v) for v in obj]
    return obj


def _metrics_and_details(doc: dict) -> str:
    """Every number of the record that must reproduce (wall-clock timings excluded)."""
    keep = {k: doc[k] for k in ("metrics", "metric_ci", "gate", "findings", "checks", "training", "data")}
    return json.dumps(_without_timings(keep), sort_keys=True)


def test_same_spec_and_seed_give_identical_audits(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    policy = write_yaml(tmp_path / "p.yaml", {"name": "all", "checks": ALL_CHECKS})
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, policy))
    _, a = run(spec, tmp_path / "r1", quiet=True)
    _, b = run(spec, tmp_path / "r2", quiet=True)
    assert all(r["status"] == "ok" for r in a["checks"].values()), {k: v.get("error") for k, v in a["checks"].items()}
    assert _metrics_and_details(a) == _metrics_and_details(b)
    env = a["environment"]
    assert env["threads"]["torch"] >= 1 and env["cpu"]["model"] and isinstance(env["cpu"]["flags"], list)
    assert env["deterministic_algorithms"] is True
