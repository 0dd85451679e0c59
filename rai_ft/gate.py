"""The gate: a policy's thresholds applied to an audit's metrics, failing closed.

A threshold whose metric is missing, ``null``, NaN, infinite or not a number fails (whatever its severity: an unmeasured
risk is not a pass), and so does one whose producing check crashed. Output as a dict for
audit.json, JUnit XML for CI, and a markdown summary for a CI job page.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable
from xml.sax.saxutils import escape, quoteattr

from rai_ft.config.policy import Policy
from rai_ft.registry import CHECKS, check_config, measured_settings, producer_of

__all__ = ["worst_status", "evaluate_gate", "gate_to_junit", "gate_to_markdown", "STATUS_ORDER"]

STATUS_ORDER = {"pass": 0, "warn": 1, "fail": 2}


def _producer(metric: str) -> str:
    return producer_of(metric) or metric.split(".", 1)[0]


def _number(value: Any) -> float | None:
    """*value* as a float, or None when it is not a number at all (a string, a bool, a list, null)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_" or not isinstance(value, numbers.Real):
        return None
    return float(value)


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of pass / warn / fail (pass when there are none)."""
    worst = max((STATUS_ORDER[s] for s in statuses), default=0)
    return {v: k for k, v in STATUS_ORDER.items()}[worst]


def settings_mismatch(policy: Policy, check: str, measured: dict[str, dict[str, Any]] | None) -> str | None:
    """Why a metric of *check* was measured under other settings than *policy* asks for (None: the same)."""
    if measured is None or check not in CHECKS:
        return None
    if check not in measured:
        return f"the record does not say how check {check!r} was measured; failing closed"
    want = measured_settings(check, check_config(policy, check))
    got = measured[check]
    diffs = [f"{k} {got.get(k)!r} (this policy: {want.get(k)!r})" for k in sorted(set(want) | set(got))
             if want.get(k) != got.get(k)]
    if not diffs:
        return None
    return (f"measured under other {check} settings than this policy's: {'; '.join(diffs[:4])}"
            f"{' …' if len(diffs) > 4 else ''} (accept_other_settings: true to accept)")


def evaluate_gate(policy: Policy, metrics: dict[str, Any], check_status: dict[str, str] | None = None,
                  guards_ran: list[str] | None = None, metric_ci: dict[str, list[float]] | None = None,
                  measured: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Apply *policy*'s thresholds to *metrics*.

    Args:
        policy: The policy whose thresholds apply.
        metrics: Flat metric name -> value (None / NaN = not measured).
        check_status: check name -> ``ok`` / ``error`` / ``skipped``; a threshold on an errored
            check's metric fails with that reason.
        guards_ran: names of the guards the run used; each guard in ``policy.require`` that is not
            among them fails (``guard.<name>``).
        metric_ci: metric -> [lower, upper] confidence bounds; a threshold with ``use: upper_ci`` /
            ``lower_ci`` is applied to that bound (and fails closed when the metric has no interval).
        measured: check -> the settings its metrics were measured with (audit.json ``checks.<name>.settings``);
            a threshold on a metric measured under other settings than *policy*'s fails with that reason unless
            it says ``accept_other_settings``. None: not compared (the run's own gate, same policy).

    Returns:
        ``{"status": pass|warn|fail, "policy": name, "results": [...]}``, one result per threshold.
    """
    check_status = check_status or {}
    results = []
    for th in policy.thresholds:
        value = metrics.get(th.metric)
        if th.use != "value":
            bounds = (metric_ci or {}).get(th.metric)
            value = None if value is None or not bounds else bounds[1 if th.use == "upper_ci" else 0]
        limit = " and ".join(p for p in (f">= {th.min:g}" if th.min is not None else "",
                                          f"<= {th.max:g}" if th.max is not None else "") if p)
        status_of_check = check_status.get(_producer(th.metric))
        mismatch = None if th.accept_other_settings else settings_mismatch(policy, _producer(th.metric), measured)
        if status_of_check == "error":
            verdict, reason = "fail", f"check {_producer(th.metric)!r} crashed; failing closed"
            value = None
        elif mismatch is not None:
            verdict, reason = "fail", mismatch
        elif (number := _number(value)) is None or math.isnan(number):
            what = "metric" if th.use == "value" else f"{th.use.replace('_', ' ')} of the metric (no interval)"
            verdict, reason = "fail", f"{what} missing or not measurable; failing closed"
            value = None
        elif not math.isfinite(number):
            what = "metric" if th.use == "value" else th.use.replace("_", " ") + " of the metric"
            verdict, reason = "fail", f"{what} is {number} (not a finite number); failing closed"
            value = None
        else:
            value = number
            ok = (th.min is None or value >= th.min) and (th.max is None or value <= th.max)
            verdict = "pass" if ok else th.severity
            reason = f"{value:.4g}{'' if th.use == 'value' else ' (' + th.use.replace('_', ' ') + ')'} " \
                     f"{'meets' if ok else 'violates'} {limit}"
        results.append({"metric": th.metric, "value": value, "min": th.min, "max": th.max,
                        "severity": th.severity, "status": verdict, "reason": reason, "use": th.use,
                        "description": th.description})
    ran = set(guards_ran or [])
    for name in policy.require:
        ok = name in ran
        results.append({"metric": f"guard.{name}", "value": 1.0 if ok else 0.0, "min": 1.0, "max": None,
                         "severity": "fail", "status": "pass" if ok else "fail",
                         "reason": f"guard {name!r} {'was' if ok else 'was not'} used in training; "
                                   "the policy requires it",
                         "description": f"required guard: {name}"})
    return {"status": worst_status(str(r["status"]) for r in results), "policy": policy.name, "results": results}


def gate_to_junit(gate: dict[str, Any], suite_name: str = "rai-ft gate") -> str:
    """JUnit XML: one testcase per threshold; fail = failure, warn = a passing case with system-out."""
    results = gate["results"]
    failures = sum(r["status"] == "fail" for r in results)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name={quoteattr(suite_name)} tests="{len(results)}" failures="{failures}">',
             f'  <testsuite name={quoteattr(gate["policy"])} tests="{len(results)}" failures="{failures}">']
    for r in results:
        classname = quoteattr("rai_ft.gate." + gate["policy"])
        lines.append(f'    <testcase classname={classname} name={quoteattr(r["metric"])}>')
        if r["status"] == "fail":
            lines.append(f'      <failure message={quoteattr(r["reason"])}>{escape(r["reason"])}</failure>')
        elif r["status"] == "warn":
            lines.append(f'      <system-out>WARN: {escape(r["reason"])}</system-out>')
        lines.append("    </testcase>")
    lines += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def gate_to_markdown(gate: dict[str, Any], run_id: str | None = None) -> str:
    """A markdown table for a CI job summary."""
    icon = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail"}
    head = f"## rai-ft gate: {icon[gate['status']]}"
    lines = [head, "", f"Policy **{_md(gate['policy'])}**" + (f", run `{_md(run_id)}`" if run_id else ""), "",
             "| metric | value | limit | severity | result |", "|---|---|---|---|---|"]
    for r in gate["results"]:
        limit = " and ".join(p for p in (f"≥ {r['min']:g}" if r["min"] is not None else "",
                                          f"≤ {r['max']:g}" if r["max"] is not None else "") if p)
        value = "—" if r["value"] is None else f"{r['value']:.4g}"
        lines.append(f"| `{_md(r['metric'])}` | {value} | {limit} | {r['severity']} | {icon[r['status']]} |")
    if not gate["results"]:
        lines.append("| (no thresholds in policy) | | | | |")
    return "\n".join(lines) + "\n"
