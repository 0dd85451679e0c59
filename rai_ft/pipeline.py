"""The spine: spec -> data -> model + adapter -> guarded training -> predictions once -> checks -> gate -> report.

``run`` fine-tunes and audits; ``audit`` evaluates an existing model without training. Both write a run
directory atomically: ``audit.json`` (schema-validated), ``report.html``, ``model_card.md`` and, for
``run``, the weights under ``model/``.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rai_ft import SCHEMA_VERSION
from rai_ft.checks import AuditContext, Predictions, run_checks
from rai_ft.checks.fairness import INTERSECTION_SEP, WORST
from rai_ft.config import Policy, Spec, load_policy, load_spec
from rai_ft.data.loading import LABEL, TEXT, DataBundle, sha256_file
from rai_ft.errors import SpecError
from rai_ft.gate import evaluate_gate
from rai_ft.fairness.effect import TARGETED, mitigation_effect
from rai_ft.guards import GUARDS, build_guards
from rai_ft.modeling.predictor import Predictor
from rai_ft.multiseed import MSG_SEEDS_DISAGREE, gate_across_seeds, seed_run_entry, spread
from rai_ft.privacy.pii import mask_strings
from rai_ft.preflight import preflight
from rai_ft.record import (AUDIT_FILE, environment, reserved_run_dir, sanitize, staged_run_dir, validate_audit,
                           write_text_atomic)
from rai_ft.render import CARD_FILE, REPORT_FILE, render_card, render_html
from rai_ft.results import Finding
from rai_ft.tracking import tracked_run
from rai_ft.training import distributed

# Sections of audit.json that can hold text drawn from the data; every string in them has its PII masked.
DATA_DERIVED = ("checks", "findings", "guards", "mitigation", "multi_seed")

__all__ = ["Prepared", "prepare", "run", "audit", "check_policy_against_spec"]


@dataclass
class Prepared:
    """A validated spec with its policy."""

    spec: Spec
    policy: Policy
    policy_path: Path


def check_policy_against_spec(policy: Policy, policy_path: Path, spec: Spec) -> None:
    """Refuse thresholds on fairness attributes the data does not have (before any work)."""
    allowed = set(spec.data.sensitive) | {WORST}
    if len(spec.data.sensitive) >= 2:
        allowed.add(INTERSECTION_SEP.join(spec.data.sensitive))
    for i, th in enumerate(policy.thresholds):
        parts = th.metric.split(".")
        if parts[0] == "fairness" and len(parts) == 3 and parts[1] not in allowed:
            raise SpecError(f"attribute {parts[1]!r} is not a sensitive column of spec {spec.name!r} "
                            f"(allowed: {', '.join(sorted(allowed))})", file=policy_path,
                            field=f"thresholds[{i}].metric")


def prepare(spec_path: str | Path, policy_override: str | Path | None = None) -> Prepared:
    """Load and cross-check a spec and its policy."""
    spec = load_spec(spec_path)
    policy_path = Path(policy_override) if policy_override else spec.resolve_path(spec.policy)
    policy = load_policy(policy_path)
    check_policy_against_spec(policy, policy_path, spec)
    return Prepared(spec, policy, policy_path)


def _predictor(model: Any, tokenizer: Any, data: DataBundle, spec: Spec,
               model_labels: list[str] | None = None) -> Predictor:
    return Predictor(model, tokenizer, data.labels, model_labels=model_labels, max_length=spec.train.max_length,
                     batch_size=spec.train.eval_batch_size)


def _predict(predictor: Predictor, data: DataBundle, progress: bool = True) -> Predictions:
    """The test predictions every check shares: probabilities in data order, decisions as deployed."""
    proba = predictor.proba(data.test[TEXT].tolist(), desc="predict test", progress=progress)
    return Predictions(y_true=data.test[LABEL].to_numpy(), y_pred=predictor.decide(proba, np.arange(len(proba))),
                       proba=proba, labels=data.labels, positive_index=data.positive_index)


def _audit_context(prep: Prepared, data: DataBundle, preds: Predictions, predictor: Predictor | None,
                   members_known: bool = True, baseline: Predictor | None = None, baseline_label: str | None = None,
                   **extra: Any) -> AuditContext:
    return AuditContext(spec=prep.spec, policy=prep.policy, predictions=preds, texts=data.test[TEXT].tolist(),
                        sensitive=data.test[data.sensitive], predictor=predictor,
                        train_texts=data.train[TEXT].tolist(), train_labels=data.train[LABEL].tolist(), data=data,
                        baseline=baseline, baseline_label=baseline_label,
                        extra={"members_known": members_known, "data_fingerprint": data.fingerprint,
                               "provenance": data.provenance, **extra})


def _dp_terms(guards: list[Any]) -> tuple[float | None, float | None, str | None]:
    """(ε, δ, accountant) of the run's dp guard; all None for a run without DP."""
    dp = next((g for g in guards if g.name == "dp"), None)
    return (dp.epsilon(), dp.delta, dp.config.accountant) if dp else (None, None, None)


def _mitigation_record(prep: Prepared, data: DataBundle, before: Predictions | None, after_results: list[Any],
                       method: str, config: dict[str, Any], source: str | None) -> dict[str, Any]:
    """Performance and fairness metrics before vs after a fairness mitigation (before = unmitigated predictions)."""
    keep = ("performance.", "fairness.")
    after = {k: v for r in after_results if r.name in ("performance", "fairness") for k, v in r.metrics.items()
             if k.startswith(keep)}
    before_metrics: dict[str, Any] = {}
    if before is not None:
        ctx = _audit_context(prep, data, before, None, quiet=True)
        for r in run_checks(ctx, ["performance", "fairness"]):
            before_metrics.update(r.metrics)
    column = config.get("column") or config.get("sensitive") or data.sensitive[0]
    max_cost = config.get("max_accuracy_cost", prep.policy.guard_config("fairness_mitigation").max_accuracy_cost)
    effect, findings = mitigation_effect(before_metrics, after, column, config["constraint"], max_cost)
    return {"method": method, "config": config, "before": before_metrics, "after": after,
            "before_source": "the same model without the mitigation" if method == "threshold_optimizer"
            else (source or "no baseline trained (set baseline: true)"),
            "targeted": f"fairness.{column}.{TARGETED[config['constraint']]}", "effect": effect,
            "effect_findings": [f.to_dict() for f in findings]}


def _collect(results: list[Any], guards: list[Any], ledger: dict[str, Any] | None,
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


def _seed_runs(others: list[tuple[Any, dict[str, Any]]], ledger: dict[str, Any] | None) -> list[dict[str, Any]]:
    """``multi_seed.runs``: each seed's metrics, check statuses, findings and model folder."""
    runs = []
    for out, info in others:
        metrics, metric_ci, findings = _collect(out.results, out.guards, ledger, out.mitigation)
        runs.append(seed_run_entry(out.seed, metrics, metric_ci, {r.name: r.status for r in out.results},
                                   [g.name for g in out.guards], model_dir=info["dir"],
                                   weights_sha256=info["weights_sha256"], epochs_run=out.summary.epochs_run,
                                   best_epoch=out.summary.best_epoch, train_seconds=out.summary.seconds,
                                   findings=[f.to_dict() for f in findings]))
    return runs


def _build_record(kind: str, run_dir: Path, prep: Prepared, data: DataBundle, model_info: dict[str, Any],
                  training: dict[str, Any] | None, results: list[Any], guards: list[Any],
                  ledger: dict[str, Any] | None = None, mitigation: dict[str, Any] | None = None,
                  tracking: dict[str, Any] | None = None,
                  others: list[tuple[Any, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The audit document. *others*: every seed's (outcome, model info) of a multi-seed run, the primary first."""
    spec, policy = prep.spec, prep.policy
    metrics, metric_ci, findings = _collect(results, guards, ledger, mitigation)
    guard_section = {g.name: {"config": g.config.model_dump(), "summary": g.summary()} for g in guards}
    gate = evaluate_gate(policy, metrics, {r.name: r.status for r in results}, [g.name for g in guards], metric_ci)
    multi = None
    if others:
        runs = _seed_runs(others, ledger)
        gate = gate_across_seeds(policy, runs)
        multi = {"seeds": [r["seed"] for r in runs], "aggregate": policy.seed_aggregate, "runs": runs,
                 "spread": spread(runs)}
        if gate["disagreements"]:
            findings.append(Finding("warn", MSG_SEEDS_DISAGREE.format(
                n=len(gate["disagreements"]), metrics=", ".join(d["metric"] for d in gate["disagreements"])),
                source="seeds"))
    label_counts = data.test[LABEL].value_counts().to_dict()
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
            "label_distribution": {"test": {data.labels[int(k)]: int(v) for k, v in label_counts.items()}},
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


def _write_outputs(tmp: Path, doc: dict[str, Any]) -> None:
    import json

    write_text_atomic(tmp / AUDIT_FILE, json.dumps(doc, indent=2, allow_nan=False) + "\n")
    write_text_atomic(tmp / REPORT_FILE, render_html(doc))
    write_text_atomic(tmp / CARD_FILE, render_card(doc))


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def _train(prep: Prepared, data: DataBundle, guards: list[Any], location: Any, tokenizer: Any,
           quiet: bool, callbacks: tuple[Any, ...] = ()) -> tuple[Any, Any]:
    """Seed, load the base model, apply the adapter and train under *guards*; returns (model, TrainSummary)."""
    from rai_ft.modeling.adapters import apply_adapter, count_parameters
    from rai_ft.modeling.loading import load_classifier
    from rai_ft.training.context import TrainContext
    from rai_ft.training.loop import train_model
    from rai_ft.training.seed import seed_everything

    spec = prep.spec
    seed_everything(spec.train.seed)
    model = load_classifier(location, data.labels, spec.model.revision, spec.model.allow_pickle)
    steps_per_epoch = -(-len(data.train) // spec.train.batch_size)
    model = apply_adapter(model, spec.model.adapter, steps_per_epoch * spec.train.epochs)
    trainable, total = count_parameters(model)
    _log(f"model: {spec.model.base} + {spec.model.adapter.method} ({trainable:,} of {total:,} parameters trainable)"
         + (f"; guards: {', '.join(g.name for g in guards)}" if guards else ""), quiet)
    ctx = TrainContext(spec=spec, policy=prep.policy, data=data, model=model, tokenizer=tokenizer,
                       steps_per_epoch=steps_per_epoch, total_steps=steps_per_epoch * spec.train.epochs,
                       extra={"quiet": quiet})
    try:
        summary = train_model(ctx, guards, progress=not quiet, callbacks=callbacks)
    except SpecError as err:  # a guard's refusal names its policy field: point at the policy file and line too
        if (err.field or "").startswith("guards."):
            from rai_ft.config.loading import yaml_line

            loc = tuple(err.field.split("."))  # type: ignore[union-attr]
            raise err.locate(prep.policy_path, yaml_line(prep.policy_path.read_text(encoding="utf-8"), loc))
        raise
    _log(f"trained {summary.epochs_run} epoch(s), {summary.steps} steps in {summary.seconds:.1f}s", quiet)
    return ctx.model, summary


def run(spec_path: str | Path, output_root: str | Path = "reports", quiet: bool = False,
        policy_override: str | Path | None = None, n_seeds: int | None = None) -> tuple[Path, dict[str, Any] | None]:
    """Fine-tune and audit as *spec_path* says. Returns (run directory, audit document).

    With ``train.seeds`` (or *n_seeds*: seeds ``train.seed``, ``train.seed + 1``, ...) one model is trained and
    audited per seed in the same run directory (``model/`` is the first seed's; ``model-seed-<s>/`` the others').

    Launched on several processes (``accelerate launch`` / ``torchrun``), every rank trains and only rank 0 audits;
    the other ranks get ``None`` for the document and write nothing.
    """
    from rai_ft.modeling.loading import load_tokenizer, resolve_base

    quiet = quiet or not distributed.is_main()  # several processes: rank 0 speaks, audits and writes
    prep = prepare(spec_path, policy_override)
    if n_seeds is not None:
        train = prep.spec.train
        prep.spec.train = train.model_copy(update={"seeds": [train.seed + i for i in range(n_seeds)]})
    spec = prep.spec
    guards = build_guards(prep.policy.guards)
    data = preflight(prep, output=output_root).data  # every input and the output folder, before any work
    _log(f"data: {len(data.train)} train / {len(data.validation)} validation / {len(data.test)} test, "
         f"labels {data.labels}" + (f"; {distributed.world_size()} processes" if distributed.world_size() > 1
                                    else ""), quiet)
    location = resolve_base(spec.model.base)
    tokenizer = load_tokenizer(location, spec.model.revision)
    # rank 0 claims the run directory; the other ranks only train and write nothing
    claim = reserved_run_dir(Path(output_root), spec.name) if distributed.is_main() else nullcontext(
        Path(output_root) / spec.name)
    with claim as final, tracked_run(spec, Path(output_root), final.name, enabled=distributed.is_main()) as tracker:
        if tracker is not None:
            _log(f"tracking: {', '.join(b.name for b in tracker.backends)} ({json.dumps(tracker.record())})", quiet)
        final, doc = _run_tracked(prep, data, guards, location, tokenizer, final, output_root, quiet, tracker)
        if tracker is not None:
            tracker.finish(doc, final)
    return final, doc  # doc is None on ranks other than 0 (they only train)


@dataclass
class SeedOutcome:
    """One training seed's model, its training summary, its (stateful) guards and, once audited, its results."""

    seed: int
    prep: Prepared
    model: Any
    summary: Any
    guards: list[Any]
    extra: dict[str, Any]
    results: list[Any] | None = None
    mitigation: dict[str, Any] | None = None


def _seed_prep(prep: Prepared, seed: int) -> Prepared:
    """*prep* with ``train.seed`` set to *seed* (the spec file it came from is kept)."""
    spec = prep.spec.model_copy(update={"train": prep.spec.train.model_copy(update={"seed": seed})})
    return Prepared(spec, prep.policy, prep.policy_path)


def _train_seed(prep: Prepared, data: DataBundle, guards: list[Any], location: Any, tokenizer: Any, quiet: bool,
                callbacks: tuple[Any, ...]) -> SeedOutcome:
    """Train one seed under *guards* (and its baseline when a guard wants one)."""
    model, summary = _train(prep, data, guards, location, tokenizer, quiet, callbacks)
    extra: dict[str, Any] = {}
    if any(g.wants_baseline() for g in guards):
        _log("baseline: the same spec without the data-changing guards, for before/after comparisons", quiet)
        plain = build_guards({k: v for k, v in prep.policy.guards.items() if not GUARDS[k].changes_training_data})
        extra["baseline_model"], base_summary = _train(prep, data, plain, location, tokenizer, quiet)
        extra["baseline_label"] = "baseline: same spec and seed, trained without " + ", ".join(
            g.name for g in guards if g.changes_training_data)
        summary.baseline = base_summary.to_dict()
    return SeedOutcome(prep.spec.train.seed, prep, model, summary, guards, extra)


def _audit_seed(out: SeedOutcome, data: DataBundle, tokenizer: Any, quiet: bool) -> None:
    """Predict the test split once, as deployed (post-processing by the guards), run the checks, record mitigation."""
    prep, spec, guards, extra = out.prep, out.prep.spec, out.guards, out.extra
    raw = _predictor(out.model, tokenizer, data, spec)
    post = [p for p in (g.postprocessor(data.test, data.positive_index) for g in guards) if p is not None]
    if len(post) > 1:
        raise SpecError("two guards post-process the predictions; at most one may decide for the deployed model")
    predictor = raw.with_postprocess(post[0]) if post else raw
    preds = _predict(predictor, data, progress=not quiet)
    baseline = extra.get("baseline_model")
    base = _predictor(baseline, tokenizer, data, spec) if baseline is not None else None
    out.results = run_checks(_audit_context(prep, data, preds, predictor, baseline=base,
                                            baseline_label=extra.get("baseline_label"), quiet=quiet))
    mitigator = next((g for g in guards if g.name == "fairness_mitigation"), None)
    if mitigator is not None:
        before = (replace(preds, y_pred=raw.decide(preds.proba)) if post
                  else _predict(base, data, progress=False) if base is not None else None)
        out.mitigation = _mitigation_record(prep, data, before, out.results, mitigator.summary()["method"],
                                            mitigator.config.model_dump(), extra.get("baseline_label"))


def _save_seed_model(out: SeedOutcome, data: DataBundle, tokenizer: Any, folder: Path) -> dict[str, Any]:
    """Write one seed's weights (and guard artifacts) to *folder*; returns the record's model section."""
    from rai_ft.modeling.artifacts import model_meta, save_model, weights_sha256

    spec = out.prep.spec
    save_model(out.model, tokenizer, folder,
               model_meta(out.model, spec.model.base, spec.model.adapter.method, data.labels, data.positive_index,
                          spec.train.max_length, data.train_sha256))
    for g in out.guards:
        g.save_artifacts(folder)
    return {"base": spec.model.base, "method": spec.model.adapter.method, "dir": folder.name,
            "weights_sha256": weights_sha256(folder), "trainable_parameters": out.summary.trainable_parameters,
            "total_parameters": out.summary.total_parameters}


def _run_tracked(prep: Prepared, data: DataBundle, guards: list[Any], location: Any, tokenizer: Any, final: Path,
                 output_root: str | Path, quiet: bool, tracker: Any) -> tuple[Path, dict[str, Any] | None]:
    """Train every seed, audit each, and write the run directory (the body of :func:`run`)."""
    seeds = prep.spec.train.all_seeds
    outcomes = []
    for i, seed in enumerate(seeds):
        if len(seeds) > 1:
            _log(f"seed {seed} ({i + 1} of {len(seeds)})", quiet)
        outcomes.append(_train_seed(_seed_prep(prep, seed) if len(seeds) > 1 else prep, data,
                                    guards if i == 0 else build_guards(prep.policy.guards), location, tokenizer,
                                    quiet, (tracker,) if tracker and i == 0 else ()))
    distributed.shutdown()  # no-op in one process; after it, rank 0 audits alone
    if not distributed.is_main():
        return final, None
    for out in outcomes:
        _audit_seed(out, data, tokenizer, quiet)
    from rai_ft.privacy.ledger import append_entry, cumulative, read_ledger

    terms = [_dp_terms(out.guards) for out in outcomes]
    eps = None if any(t[0] is None for t in terms) else float(sum(t[0] for t in terms))  # type: ignore[misc]
    delta = None if any(t[1] is None for t in terms) else float(sum(t[1] for t in terms))  # type: ignore[misc]
    ledger = cumulative(read_ledger(Path(output_root)), data.fingerprint, eps, delta)
    primary = outcomes[0]
    with staged_run_dir(final) as tmp:
        infos = [_save_seed_model(out, data, tokenizer, tmp / ("model" if i == 0 else f"model-seed-{out.seed}"))
                 for i, out in enumerate(outcomes)]
        doc = _build_record("run", final, primary.prep, data, infos[0], primary.summary.to_dict(), primary.results or [],
                            primary.guards, ledger, primary.mitigation, tracker.record() if tracker else None,
                            others=[(out, info) for out, info in zip(outcomes, infos)] if len(seeds) > 1 else None)
        _write_outputs(tmp, doc)
        # in the ledger before the run directory appears: a failed write (a full disk) leaves neither
        append_entry(Path(output_root), final.name, data.fingerprint, eps, delta, terms[0][2])
    return final, doc


def audit(spec_path: str | Path, model_dir: str | Path, output_root: str | Path = "reports", quiet: bool = False,
          policy_override: str | Path | None = None) -> tuple[Path, dict[str, Any] | None]:
    """Audit an existing model (a rai-ft ``model/`` dir or any HF classifier) on the spec's data; no training.

    Under a multi-process launcher only rank 0 audits; the other ranks return ``None`` for the document at once.
    """
    if not distributed.is_main():
        return Path(output_root), None
    from rai_ft.fairness.thresholds import GroupThresholds, load_thresholds
    from rai_ft.modeling.artifacts import load_saved_model, weights_sha256

    from rai_ft.training.seed import seed_everything

    prep = prepare(spec_path, policy_override)
    spec = prep.spec
    if spec.train.seeds and len(spec.train.seeds) > 1:
        raise SpecError("train.seeds trains one model per seed; rai-ft audit audits one existing model (drop seeds)",
                        field="train.seeds", file=spec.source_file)
    data = preflight(prep, output=output_root, model_dir=model_dir).data
    seed_everything(spec.train.seed)  # the checks' own seeds are in the policy; this pins deterministic kernels
    model, tokenizer, meta = load_saved_model(model_dir, labels=data.labels, allow_pickle=spec.model.allow_pickle)
    raw = _predictor(model, tokenizer, data, spec, list(meta.get("model_labels", meta["labels"])))
    predictor, mitigation = raw, None
    thresholds = load_thresholds(model_dir)
    if thresholds is not None:
        if thresholds["column"] not in data.sensitive:
            raise SpecError(f"this model applies fairness thresholds by {thresholds['column']!r}; add that column to "
                            "data.sensitive (post-processing needs it at prediction time)", field="data.sensitive")
        predictor = raw.with_postprocess(GroupThresholds(thresholds, data.test[thresholds["column"]].to_numpy(),
                                                         data.positive_index))
    preds = _predict(predictor, data, progress=not quiet)
    members_known = meta.get("train_sha256") == data.train_sha256  # was this model trained on this exact split?
    results = run_checks(_audit_context(prep, data, preds, predictor, members_known, quiet=quiet))
    if thresholds is not None:
        mitigation = _mitigation_record(prep, data, replace(preds, y_pred=raw.decide(preds.proba)), results,
                                        "threshold_optimizer",
                                        {k: thresholds[k] for k in ("constraint", "objective", "column")}, None)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    model_info = {"base": meta.get("base", str(model_dir)), "method": meta.get("method", "external"),
                  "dir": str(Path(model_dir).resolve()), "weights_sha256": weights_sha256(Path(model_dir)),
                  "trainable_parameters": trainable, "total_parameters": sum(p.numel() for p in model.parameters())}
    with reserved_run_dir(Path(output_root), f"{spec.name}-audit") as final, \
            tracked_run(spec, Path(output_root), final.name) as tracker:
        with staged_run_dir(final) as tmp:
            doc = _build_record("audit", final, prep, data, model_info, None, results, [], mitigation=mitigation,
                                tracking=tracker.record() if tracker else None)
            _write_outputs(tmp, doc)
        if tracker is not None:
            tracker.finish(doc, final)  # audit metrics, verdict and reports (no training curve: nothing was trained)
    return final, doc

