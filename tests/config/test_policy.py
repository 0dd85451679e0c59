"""Policy validation: unknown metrics, guards, checks and malformed thresholds are refused."""

from __future__ import annotations

import pytest

from rai_ft.validation import load_policy
from rai_ft.registry import metric_is_known
from rai_ft.errors import SpecError
from tests.conftest import write_yaml


def test_unknown_metric_is_refused_with_field_path(tmp_path) -> None:
    path = write_yaml(tmp_path / "p.yaml", {"name": "p", "thresholds": [
        {"metric": "performance.accuracy", "min": 0.5},
        {"metric": "performance.acuracy", "min": 0.5}]})
    with pytest.raises(SpecError, match="unknown metric 'performance.acuracy'") as err:
        load_policy(path)
    assert err.value.field == "thresholds[1].metric"
    assert err.value.file == str(path)


def test_threshold_needs_a_bound_and_consistent_bounds(tmp_path) -> None:
    with pytest.raises(SpecError, match="needs min, max or both"):
        load_policy(write_yaml(tmp_path / "a.yaml", {"name": "p", "thresholds": [{"metric": "performance.accuracy"}]}))
    with pytest.raises(SpecError, match="min is greater than max"):
        load_policy(write_yaml(tmp_path / "b.yaml", {"name": "p", "thresholds": [
            {"metric": "performance.accuracy", "min": 0.9, "max": 0.1}]}))


def test_unknown_guard_and_check_keys(tmp_path) -> None:
    with pytest.raises(SpecError, match="unknown guard 'dpp'"):
        load_policy(write_yaml(tmp_path / "g.yaml", {"name": "p", "guards": {"dpp": {}}}))
    with pytest.raises(SpecError, match="fairness.min_grp_size: unknown key"):
        load_policy(write_yaml(tmp_path / "c.yaml", {"name": "p", "checks": {"fairness": {"min_grp_size": 3}}}))


def test_metric_patterns_accept_attributes_and_intersections() -> None:
    assert metric_is_known("fairness.sex.demographic_parity_difference")
    assert metric_is_known("fairness.sex*race.equalized_odds_ratio")
    assert metric_is_known("fairness.worst.demographic_parity_difference")
    assert not metric_is_known("fairness.sex.parity")
    assert not metric_is_known("performance")


def test_shipped_policies_are_valid() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "policies"
    names = {load_policy(p).name for p in root.glob("*.yaml")}
    assert {"default", "strict"} <= names
