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
from pathlib import Path
from typing import Any


from rai_ft.audit_record import build_record, write_outputs
from rai_ft.checks import Predictions
from rai_ft.config import Spec
from rai_ft.data.loading import DataBundle
from rai_ft.errors import SpecError
from rai_ft.guards import Guard
from rai_ft.mitigation import audit_context, mitigation_record
from rai_ft.modeling.predictor import Predictor
from rai_ft.preflight import preflight
from rai_ft.record import reserved_run_dir, staged_run_dir
from rai_ft.registry import GUARDS, base_of, build_guards, guard_config, run_checks, task_of
from rai_ft.tracking import tracked_run
from rai_ft.training import distributed
from rai_ft.validation import Prepared, check_policy_against_spec, prepare

__all__ = ["Prepared", "prepare", "run", "audit", "check_policy_against_spec"]


def _predictor(model: Any, tokenizer: Any, data: DataBundle, spec: Spec,
               model_labels: list[str] | None = None) -> Predictor:
    return task_of(spec).predictor(model, tokenizer, spec, data.labels, model_labels)


def _predict(predictor: Predictor, data: DataBundle, spec: Spec, progress: bool = True) -> Predictions:
    """The test predictions every check shares (the task's: decisions as deployed)."""
    return task_of(spec).predict(predictor, data, progress)


def _privacy_terms(guards: list[Guard[Any]]) -> tuple[float | None, float | None, str | None]:
    """(ε, δ, accountant) the run's guards spent on the training split; all None for a run without DP."""
    spent = [p for p in (g.privacy_spent() for g in guards) if p is not None]
    if len(spent) > 1:
        raise SpecError("two guards account differential privacy; at most one may train privately")
    return (spent[0].epsilon, spent[0].delta, spent[0].accountant) if spent else (None, None, None)


def _decider(raw: Predictor, guards: list[Guard[Any]], data: DataBundle) -> Predictor:
    """*raw* deciding as deployed: post-processed by the guard that post-processes, if one does."""
    post = [p for p in (g.postprocessor(data.test, data.positive_index) for g in guards) if p is not None]
    if len(post) > 1:
        raise SpecError("two guards post-process the predictions; at most one may decide for the deployed model")
    return raw.with_postprocess(post[0]) if post else raw


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def _train(prep: Prepared, data: DataBundle, guards: list[Any], location: Any, tokenizer: Any,
           quiet: bool, callbacks: tuple[Any, ...] = ()) -> tuple[Any, Any]:
    """Seed, load the base model, apply the adapter and train under *guards*; returns (model, TrainSummary)."""
    from rai_ft.modeling.adapters import apply_adapter, count_parameters
    from rai_ft.training.context import TrainContext
    from rai_ft.training.loop import train_model
    from rai_ft.training.seed import seed_everything

    spec = prep.spec
    seed_everything(spec.train.seed)
    model = task_of(spec).load_model(location, data.labels, spec.model.revision, spec.model.allow_pickle)
    steps_per_epoch = -(-len(data.train) // spec.train.batch_size)
    model = apply_adapter(model, spec.model.adapter, steps_per_epoch * spec.train.epochs,
                          task_of(spec).peft_task_type)
    trainable, total = count_parameters(model)
    _log(f"model: {base_of(spec)} + {spec.model.adapter.method} ({trainable:,} of {total:,} parameters trainable)"
         + (f"; guards: {', '.join(g.name for g in guards)}" if guards else ""), quiet)
    ctx = TrainContext(spec=spec, policy=prep.policy, data=data, model=model, tokenizer=tokenizer,
                       steps_per_epoch=steps_per_epoch, total_steps=steps_per_epoch * spec.train.epochs,
                       task=task_of(spec), quiet=quiet)
    try:
        summary = train_model(ctx, guards, progress=not quiet, callbacks=callbacks)
    except SpecError as err:  # a guard's refusal names its policy field: point at the policy file and line too
        if err.field is not None and err.field.startswith("guards."):
            from rai_ft.config.loading import yaml_line

            loc = tuple(err.field.split("."))
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
    from rai_ft.modeling.loading import resolve_base

    quiet = quiet or not distributed.is_main()  # several processes: rank 0 speaks, audits and writes
    prep = prepare(spec_path, policy_override)
    if n_seeds is not None:
        train = prep.spec.train
        prep.spec.train = train.model_copy(update={"seeds": [train.seed + i for i in range(n_seeds)]})
    spec = prep.spec
    guards = build_guards(prep.policy)
    data = preflight(prep, output=output_root).data  # every input and the output folder, before any work
    _log(f"data: {len(data.train)} train / {len(data.validation)} validation / {len(data.test)} test, "
         f"labels {data.labels}" + (f"; {distributed.world_size()} processes" if distributed.world_size() > 1
                                    else ""), quiet)
    location = resolve_base(base_of(spec))
    tokenizer = task_of(spec).load_processor(location, spec)
    # rank 0 claims the run directory; the other ranks only train and write nothing
    claim = reserved_run_dir(Path(output_root), spec.name) if distributed.is_main() else nullcontext(
        Path(output_root) / spec.name)
    with claim as final, tracked_run(spec, Path(output_root), final.name, enabled=distributed.is_main()) as tracker:
        if tracker is not None:
            _log(f"tracking: {', '.join(b.name for b in tracker.backends)} ({json.dumps(tracker.record())})", quiet)
        final, doc = _run_tracked(prep, data, guards, location, tokenizer, final, output_root, quiet, tracker)
        if tracker is not None and doc is not None:
            tracker.finish(doc, final)
    return final, doc  # doc is None on ranks other than 0 (they only train)


@dataclass
class SeedOutcome:
    """One training seed's model, its training summary, its (stateful) guards, its baseline twin (when a guard
    wants one) and, once audited, its results."""

    seed: int
    prep: Prepared
    model: Any
    summary: Any
    guards: list[Guard[Any]]
    baseline_model: Any = None
    baseline_label: str | None = None
    results: list[Any] | None = None
    mitigation: dict[str, Any] | None = None


def _seed_prep(prep: Prepared, seed: int) -> Prepared:
    """*prep* with ``train.seed`` set to *seed* (the spec file it came from is kept)."""
    spec = prep.spec.model_copy(update={"train": prep.spec.train.model_copy(update={"seed": seed})})
    return Prepared(spec, prep.policy, prep.policy_path)


def _train_seed(prep: Prepared, data: DataBundle, guards: list[Guard[Any]], location: Any, tokenizer: Any,
                quiet: bool, callbacks: tuple[Any, ...]) -> SeedOutcome:
    """Train one seed under *guards* (and its baseline when a guard wants one)."""
    model, summary = _train(prep, data, guards, location, tokenizer, quiet, callbacks)
    out = SeedOutcome(prep.spec.train.seed, prep, model, summary, guards)
    if any(g.wants_baseline() for g in guards):
        _log("baseline: the same spec without the data-changing guards, for before/after comparisons", quiet)
        plain = build_guards(prep.policy, keep=lambda cls: not cls.changes_training_data)
        out.baseline_model, base_summary = _train(prep, data, plain, location, tokenizer, quiet)
        out.baseline_label = "baseline: same spec and seed, trained without " + ", ".join(
            g.name for g in guards if g.changes_training_data)
        summary.baseline = base_summary.to_dict()
    return out


def _before(plan: Any, preds: Predictions, raw: Predictor, base: Predictor | None, data: DataBundle,
            spec: Spec) -> Predictions | None:
    """The unmitigated test predictions *plan* compares with (None: no baseline was trained)."""
    if plan.before == "undecided":
        return replace(preds, y_pred=raw.decide(preds.proba))
    return _predict(base, data, spec, progress=False) if base is not None else None


def _audit_seed(out: SeedOutcome, data: DataBundle, tokenizer: Any, quiet: bool) -> None:
    """Predict the test split once, as deployed (post-processing by the guards), run the checks, record mitigation."""
    prep, spec = out.prep, out.prep.spec
    raw = _predictor(out.model, tokenizer, data, spec)
    predictor = _decider(raw, out.guards, data)
    preds = _predict(predictor, data, spec, progress=not quiet)
    base = _predictor(out.baseline_model, tokenizer, data, spec) if out.baseline_model is not None else None
    out.results = run_checks(audit_context(prep, data, preds, predictor, baseline=base,
                                           baseline_label=out.baseline_label, quiet=quiet))
    for plan in (p for p in (g.mitigation() for g in out.guards) if p is not None):
        out.mitigation = mitigation_record(prep, data, _before(plan, preds, raw, base, data, spec), out.results, plan,
                                           out.baseline_label)


def _save_seed_model(out: SeedOutcome, data: DataBundle, tokenizer: Any, folder: Path) -> dict[str, Any]:
    """Write one seed's weights (and guard artifacts) to *folder*; returns the record's model section."""
    from rai_ft.modeling.artifacts import model_meta, save_model, weights_sha256

    spec = out.prep.spec
    save_model(out.model, tokenizer, folder,
               model_meta(out.model, base_of(spec), spec.model.adapter.method, data.labels, data.positive_index,
                          spec.train.max_length, data.train_sha256))
    for g in out.guards:
        g.save_artifacts(folder)
    return {"base": base_of(spec), "method": spec.model.adapter.method, "dir": folder.name,
            "weights_sha256": weights_sha256(folder), "trainable_parameters": out.summary.trainable_parameters,
            "total_parameters": out.summary.total_parameters}


def _privacy_total(outcomes: list[SeedOutcome]) -> tuple[float | None, float | None, str | None]:
    """(ε, δ, accountant) summed over the seeds' models (basic composition); None if any seed was not private."""
    terms = [_privacy_terms(out.guards) for out in outcomes]
    eps = [t[0] for t in terms]
    delta = [t[1] for t in terms]
    return (None if None in eps else float(sum(e for e in eps if e is not None)),
            None if None in delta else float(sum(d for d in delta if d is not None)), terms[0][2])


def _run_tracked(prep: Prepared, data: DataBundle, guards: list[Guard[Any]], location: Any, tokenizer: Any,
                 final: Path, output_root: str | Path, quiet: bool,
                 tracker: Any) -> tuple[Path, dict[str, Any] | None]:
    """Train every seed, audit each, and write the run directory (the body of :func:`run`)."""
    seeds = prep.spec.train.all_seeds
    outcomes = []
    for i, seed in enumerate(seeds):
        if len(seeds) > 1:
            _log(f"seed {seed} ({i + 1} of {len(seeds)})", quiet)
        outcomes.append(_train_seed(_seed_prep(prep, seed) if len(seeds) > 1 else prep, data,
                                    guards if i == 0 else build_guards(prep.policy), location, tokenizer,
                                    quiet, (tracker,) if tracker and i == 0 else ()))
    distributed.shutdown()  # no-op in one process; after it, rank 0 audits alone
    if not distributed.is_main():
        return final, None
    for out in outcomes:
        _audit_seed(out, data, tokenizer, quiet)
    from rai_ft.privacy.ledger import append_entry, cumulative, read_ledger

    eps, delta, accountant = _privacy_total(outcomes)
    ledger = cumulative(read_ledger(Path(output_root)), data.fingerprint, eps, delta)
    primary = outcomes[0]
    with staged_run_dir(final) as tmp:
        infos = [_save_seed_model(out, data, tokenizer, tmp / ("model" if i == 0 else f"model-seed-{out.seed}"))
                 for i, out in enumerate(outcomes)]
        doc = build_record("run", final, primary.prep, data, infos[0], primary.summary.to_dict(),
                           primary.results or [], primary.guards, ledger, primary.mitigation,
                           tracker.record() if tracker else None,
                           others=[(out, info) for out, info in zip(outcomes, infos)] if len(seeds) > 1 else None)
        doc = write_outputs(tmp, doc)
        # in the ledger before the run directory appears: a failed write (a full disk) leaves neither
        append_entry(Path(output_root), final.name, data.fingerprint, eps, delta, accountant)
    return final, doc


def _restored_guards(prep: Prepared, model_dir: Path, data: DataBundle) -> list[Guard[Any]]:
    """The guards whose artifacts *model_dir* holds (e.g. group thresholds), as they were trained."""
    found = (cls.restore(model_dir, guard_config(prep.policy, name), data) for name, cls in GUARDS.items())
    return [g for g in found if g is not None]


def _model_info(model: Any, meta: dict[str, Any], model_dir: Path) -> dict[str, Any]:
    """The record's model section for an audited model folder."""
    from rai_ft.modeling.artifacts import weights_sha256

    return {"base": meta.get("base", str(model_dir)), "method": meta.get("method", "external"),
            "dir": str(model_dir.resolve()), "weights_sha256": weights_sha256(model_dir),
            "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "total_parameters": sum(p.numel() for p in model.parameters())}


def audit(spec_path: str | Path, model_dir: str | Path, output_root: str | Path = "reports", quiet: bool = False,
          policy_override: str | Path | None = None) -> tuple[Path, dict[str, Any] | None]:
    """Audit an existing model (a rai-ft ``model/`` dir or any HF classifier) on the spec's data; no training.

    Under a multi-process launcher only rank 0 audits; the other ranks return ``None`` for the document at once.
    """
    if not distributed.is_main():
        return Path(output_root), None
    from rai_ft.training.seed import seed_everything

    prep = prepare(spec_path, policy_override)
    spec = prep.spec
    if spec.train.seeds and len(spec.train.seeds) > 1:
        raise SpecError("train.seeds trains one model per seed; rai-ft audit audits one existing model (drop seeds)",
                        field="train.seeds", file=spec.source_file)
    data = preflight(prep, output=output_root, model_dir=model_dir).data
    seed_everything(spec.train.seed)  # the checks' own seeds are in the policy; this pins deterministic kernels
    model, tokenizer, meta = task_of(spec).load_saved(model_dir, data.labels, spec.model.allow_pickle, spec)
    raw = _predictor(model, tokenizer, data, spec, list(meta.get("model_labels", meta["labels"])))
    restored = _restored_guards(prep, Path(model_dir), data)
    predictor = _decider(raw, restored, data)
    preds = _predict(predictor, data, spec, progress=not quiet)
    members_known = meta.get("train_sha256") == data.train_sha256  # was this model trained on this exact split?
    results = run_checks(audit_context(prep, data, preds, predictor, members_known=members_known, quiet=quiet))
    mitigation = None
    for plan in (p for p in (g.mitigation() for g in restored) if p is not None):
        mitigation = mitigation_record(prep, data, _before(plan, preds, raw, None, data, spec), results, plan, None)
    with reserved_run_dir(Path(output_root), f"{spec.name}-audit") as final, \
            tracked_run(spec, Path(output_root), final.name) as tracker:
        with staged_run_dir(final) as tmp:
            doc = build_record("audit", final, prep, data, _model_info(model, meta, Path(model_dir)), None, results,
                               [], mitigation=mitigation, tracking=tracker.record() if tracker else None)
            doc = write_outputs(tmp, doc)
        if tracker is not None:
            tracker.finish(doc, final)  # audit metrics, verdict and reports (no training curve: nothing was trained)
    return final, doc
