"""Several training seeds in one run: every metric's spread, the gate across seeds, and where seeds disagree.

Models trained alike with different seeds can differ a lot in fairness and robustness while their accuracy agrees
(D'Amour et al. 2020, "Underspecification Presents Challenges for Credibility in Modern Machine Learning"). A run
with ``train.seeds: [1, 2, 3]`` trains and audits one model per seed; the gate is applied to the worst seed by
default (``seed_aggregate: mean`` in the policy applies it to the mean over seeds instead).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rai_ft.config.policy import Policy
from rai_ft.gate import STATUS_ORDER, evaluate_gate, worst_status

__all__ = ["seed_run_entry", "spread", "gate_across_seeds", "MSG_SEEDS_DISAGREE"]

MSG_SEEDS_DISAGREE = ("seeds disagree on {n} threshold verdict(s): {metrics}; this verdict depends on the training "
                      "seed (underspecification)")


def seed_run_entry(seed: int, metrics: dict[str, Any], metric_ci: dict[str, list[float]],
                   check_status: dict[str, str], guards: list[str], **info: Any) -> dict[str, Any]:
    """One seed's record in ``multi_seed.runs``: what the gate needs to re-evaluate it, and where its model is."""
    return {"seed": seed, "metrics": metrics, "metric_ci": metric_ci, "check_status": check_status,
            "guards": guards, **info}


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def spread(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per metric: the value of each seed (None = unmeasured), min, max, mean, sample std and range (max - min).

    Summary statistics are None when any seed did not measure the metric (an unmeasured seed is not averaged away).
    """
    names = sorted({k for r in runs for k in r["metrics"]})
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        values = [_finite(r["metrics"].get(name)) for r in runs]
        known = [v for v in values if v is not None]
        complete = len(known) == len(values)
        arr = np.asarray(known, dtype=float)
        out[name] = {"values": values,
                     "min": float(arr.min()) if complete else None, "max": float(arr.max()) if complete else None,
                     "mean": float(arr.mean()) if complete else None,
                     "std": float(arr.std(ddof=1)) if complete and len(arr) > 1 else (0.0 if complete else None),
                     "range": float(arr.max() - arr.min()) if complete else None}
    return out


def _margin(result: dict[str, Any]) -> float:
    """How far a threshold result is inside its bounds (negative = outside; unmeasured = -inf)."""
    value = result["value"]
    if value is None:
        return -math.inf
    sides = [value - result["min"] if result["min"] is not None else math.inf,
             result["max"] - value if result["max"] is not None else math.inf]
    return min(sides)


def _mean_inputs(runs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, list[float]], dict[str, str]]:
    """Mean metrics (None where any seed is unmeasured), mean interval bounds, and errored checks of any seed."""
    stats = spread(runs)
    metrics = {k: v["mean"] for k, v in stats.items()}
    ci_names = set.intersection(*(set(r["metric_ci"]) for r in runs)) if runs else set()
    metric_ci = {k: [float(np.mean([r["metric_ci"][k][i] for r in runs])) for i in (0, 1)] for k in ci_names}
    status: dict[str, str] = {}
    for r in runs:
        for name, s in r["check_status"].items():
            status[name] = "error" if s == "error" or status.get(name) == "error" else s
    return metrics, metric_ci, status


def gate_across_seeds(policy: Policy, runs: list[dict[str, Any]],
                      measured: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The gate of a multi-seed run: each threshold on its worst seed (or on the mean over seeds).

    Returns the usual gate dict (``status``, ``policy``, ``results``) plus ``aggregate``, ``seeds``,
    ``per_seed`` (each seed's own verdict) and ``disagreements`` (thresholds whose verdict differs across seeds).
    *measured*: as in :func:`~rai_ft.gate.evaluate_gate` (the seeds share one policy, so one set of settings).
    """
    gates = [evaluate_gate(policy, r["metrics"], r["check_status"], r["guards"], r["metric_ci"], measured)
             for r in runs]
    seeds = [r["seed"] for r in runs]
    if policy.seed_aggregate == "mean":
        metrics, metric_ci, status = _mean_inputs(runs)
        guards = sorted(set.intersection(*(set(r["guards"]) for r in runs)))
        combined = evaluate_gate(policy, metrics, status, guards, metric_ci, measured)
        results = [{**res, "reason": f"mean over seeds {seeds}: {res['reason']}"} for res in combined["results"]]
    else:
        results = []
        for i in range(len(gates[0]["results"])):
            per = [(g["results"][i], s) for g, s in zip(gates, seeds)]
            res, seed = max(per, key=lambda p: (STATUS_ORDER[p[0]["status"]], -_margin(p[0])))
            results.append({**res, "seed": seed, "reason": f"worst of seeds {seeds} is seed {seed}: {res['reason']}"})
    disagreements = []
    for i, res in enumerate(results):
        statuses = {str(s): g["results"][i]["status"] for g, s in zip(gates, seeds)}
        values = {str(s): g["results"][i]["value"] for g, s in zip(gates, seeds)}
        res["by_seed"] = {k: {"status": statuses[k], "value": values[k]} for k in statuses}
        if len(set(statuses.values())) > 1:
            disagreements.append({"metric": res["metric"], "statuses": statuses, "values": values})
    return {"status": worst_status(r["status"] for r in results), "policy": policy.name, "results": results,
            "aggregate": policy.seed_aggregate, "seeds": seeds,
            "per_seed": [{"seed": s, "status": g["status"]} for g, s in zip(gates, seeds)],
            "disagreements": disagreements}
