"""The audit document (``audit.json``) of a run or an audit, and writing it with its renderings.

Everything here reads the checks' results, the guards' hooks and the data; rendering (report.html, the card) then
draws from the document alone.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rai_ft import SCHEMA_VERSION
from rai_ft.data.loading import DataBundle, sha256_file
from rai_ft.gate import evaluate_gate
from rai_ft.multiseed import MSG_SEEDS_DISAGREE, gate_across_seeds, seed_run_entry, spread
from rai_ft.privacy.pii import mask_strings
from rai_ft.registry import task_of
from rai_ft.compliance.framework import load_framework
from rai_ft.compliance.write import write_compliance
from rai_ft.provenance import seal
from rai_ft.record import AUDIT_FILE, environment, sanitize, validate_audit, write_text_atomic
from rai_ft.render import CARD_FILE, REPORT_FILE, render_card, render_html
from rai_ft.results import Finding
from rai_ft.validation import Prepared

__all__ = ["collect", "seed_runs", "build_record", "write_outputs", "DATA_DERIVED"]

# Sections of audit.json that can hold text drawn from the data; every string in them has its PII masked.
DATA_DERIVED = ("checks", "findings", "guards", "mitigation", "multi_seed")


def collect(results: list[Any], guards: list[Any], ledger: dict[str, Any] | None,
             mitigation: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, list[float]], list[Finding]]:
    """Flat metrics, intervals and findings of one model's checks, guards and mitigation."""
    metrics: dict[str, Any] = dict(mitigation["effect"]) if mitigation else {}
    metric_ci: dict[str, list[float]] = {}
    findings: list[Finding] = []
    for r in results:
        metrics.update(r.metrics)
        metric_ci.update(r.metric_ci)
        findings.extend(r.findings)
        if r.status != "ok":
            findings.append(Finding("fail" if r.status == "error" else "warn",
                                    f"check {r.name} {r.status}: {r.error}", source=r.name))
    for g in guards:
        metrics.update(g.metrics())
        findings.extend(g.findings())
    if mitigation:
        findings.extend(Finding(**f) for f in mitigation["effect_findings"])
    if ledger is not None:
        metrics["privacy.cumulative_epsilon"] = ledger["cumulative_epsilon"]
        if ledger["unbounded"]:
            findings.append(Finding("warn", "privacy ledger: this data set has been used for training without "
                                    "differential privacy, so the cumulative ε over released models is unbounded",
                                    source="privacy"))
    return metrics, metric_ci, findings


def seed_runs(others: list[tuple[Any, dict[str, Any]]], ledger: dict[str, Any] | None) -> list[dict[str, Any]]:
    """``multi_seed.runs``: each seed's metrics, check statuses, findings and model folder."""
    runs = []
    for out, info in others:
        metrics, metric_ci, findings = collect(out.results, out.guards, ledger, out.mitigation)
        runs.append(seed_run_entry(out.seed, metrics, metric_ci, {r.name: r.status for r in out.results},
                                   [g.name for g in out.guards], model_dir=info["dir"],
                                   weights_sha256=info["weights_sha256"], epochs_run=out.summary.epochs_run,
                                   best_epoch=out.summary.best_epoch, train_seconds=out.summary.seconds,
                                   findings=[f.to_dict() for f in findings]))
    return runs


def build_record(kind: str, run_dir: Path, prep: Prepared, data: DataBundle, model_info: dict[str, Any],
                  training: dict[str, Any] | None, results: list[Any], guards: list[Any],
                  ledger: dict[str, Any] | None = None, mitigation: dict[str, Any] | None = None,
                  tracking: dict[str, Any] | None = None,
                  others: list[tuple[Any, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The audit document. *others*: every seed's (outcome, model info) of a multi-seed run, the primary first."""
    spec, policy = prep.spec, prep.policy
    metrics, metric_ci, findings = collect(results, guards, ledger, mitigation)
    guard_section = {g.name: {"config": g.config.model_dump(), "summary": g.summary()} for g in guards}
    gate = evaluate_gate(policy, metrics, {r.name: r.status for r in results}, [g.name for g in guards], metric_ci)
    multi = None
    if others:
        runs = seed_runs(others, ledger)
        gate = gate_across_seeds(policy, runs)
        multi = {"seeds": [r["seed"] for r in runs], "aggregate": policy.seed_aggregate, "runs": runs,
                 "spread": spread(runs)}
        if gate["disagreements"]:
            findings.append(Finding("warn", MSG_SEEDS_DISAGREE.format(
                n=len(gate["disagreements"]), metrics=", ".join(d["metric"] for d in gate["disagreements"])),
                source="seeds"))
    doc = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_dir.name,
        "kind": kind,
        "status": gate["status"],
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "spec": spec.model_dump(mode="json"),
        "spec_file": str(spec.source_file) if spec.source_file else None,
        "policy": {"resolved": policy.model_dump(mode="json"), "file": str(prep.policy_path),
                   "sha256": sha256_file(prep.policy_path)},
        "environment": environment(),
        "seeds": {"train": spec.train.seed, "split": spec.data.split.seed, "train_all": spec.train.all_seeds},
        "data": {
            "files": data.files, "fingerprint": data.fingerprint, "labels": data.labels,
            "positive_label": data.labels[data.positive_index], "sensitive": data.sensitive,
            "sizes": {"train": len(data.train), "validation": len(data.validation), "test": len(data.test)},
            "label_distribution": task_of(spec).data_summary(data),
            "provenance": data.provenance,
        },
        "model": model_info,
        "training": training,
        "checks": {r.name: r.to_dict() for r in results},
        "metrics": metrics,
        "metric_ci": metric_ci,
        "findings": [f.to_dict() for f in findings],
        "guards": guard_section,
        "gate": gate,
    }
    if ledger is not None:
        doc["privacy_ledger"] = ledger
    if mitigation is not None:
        doc["mitigation"] = mitigation
    if tracking:
        doc["tracking"] = tracking
    if multi is not None:
        doc["multi_seed"] = multi
    for key in DATA_DERIVED:  # texts from the data (examples, snippets, messages) never leave with PII in clear
        if key in doc:
            doc[key] = mask_strings(doc[key])
    doc = sanitize(doc)
    validate_audit(doc)
    return doc


def write_outputs(tmp: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """Seal *doc* over the run directory *tmp* (:mod:`rai_ft.provenance`), then write audit.json, the report and the
    card; returns the sealed record."""
    doc = seal(doc, tmp)
    validate_audit(doc)
    write_text_atomic(tmp / AUDIT_FILE, json.dumps(doc, indent=2, allow_nan=False) + "\n")
    write_text_atomic(tmp / REPORT_FILE, render_html(doc))
    write_text_atomic(tmp / CARD_FILE, render_card(doc))
    frameworks = ((doc.get("policy") or {}).get("resolved") or {}).get("compliance") or []
    if frameworks:  # the policy asks every run to map its evidence (compliance.json / .html)
        write_compliance(tmp, doc, [load_framework(n) for n in frameworks])
    return doc
