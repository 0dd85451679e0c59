"""The privacy ledger: cumulative ε per data fingerprint, unbounded once data was used without DP."""

from __future__ import annotations

import math

from rai_ft.privacy.ledger import append_entry, cumulative, read_ledger


def test_cumulative_adds_epsilon_per_fingerprint(tmp_path) -> None:
    append_entry(tmp_path, "r1", "aaa", 2.0, 1e-5, "rdp")
    append_entry(tmp_path, "r2", "aaa", 3.0, 1e-5, "rdp")
    append_entry(tmp_path, "r3", "bbb", 5.0, 1e-5, "rdp")
    view = cumulative(read_ledger(tmp_path), "aaa", 1.0, 1e-5)
    assert view["runs"] == 3 and view["cumulative_epsilon"] == 6.0 and not view["unbounded"]
    assert abs(view["cumulative_delta"] - 3e-5) < 1e-12
    assert [e["run_id"] for e in view["previous_runs"]] == ["r1", "r2"]


def test_a_non_private_run_makes_the_total_unbounded(tmp_path) -> None:
    append_entry(tmp_path, "r1", "aaa", None, None, None)
    view = cumulative(read_ledger(tmp_path), "aaa", 1.0, 1e-5)
    assert view["unbounded"] and math.isinf(view["cumulative_epsilon"])
    assert cumulative([], "aaa", None, None)["unbounded"]
