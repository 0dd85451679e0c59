"""A policy and a spec checked against the registries, before any work: every refusal is one line naming the file,
the field and its YAML line.

:func:`rai_ft.config.read_policy` checks a policy's schema alone (config knows no check or guard); :func:`load_policy`
here adds what only the registries know: which guards and checks exist, their settings, and which metrics they emit.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rai_ft.checks.fairness import INTERSECTION_SEP, WORST
from rai_ft.compliance.framework import FRAMEWORKS, MSG_UNKNOWN_FRAMEWORK
from rai_ft.config.loading import loc_to_path, yaml_line
from rai_ft.config.policy import Policy, read_policy
from rai_ft.config.spec import Spec
from rai_ft.config.spec import load_spec as read_spec
from rai_ft.errors import MSG_UNKNOWN_KEY, MSG_UNKNOWN_METRIC, SpecError
from rai_ft.registry import CHECKS, GUARDS, TASKS, known_metric_patterns, metric_is_known, producer_of

__all__ = ["Prepared", "prepare", "load_policy", "load_spec", "validate_policy", "validate_spec",
           "check_policy_against_spec", "MSG_UNKNOWN_GUARD", "MSG_UNKNOWN_CHECK", "MSG_UNKNOWN_TASK",
           "MSG_NOT_AN_ATTRIBUTE", "MSG_NOT_FOR_TASK", "MSG_DATA_FIELD_NOT_FOR_TASK"]

MSG_UNKNOWN_GUARD = "unknown guard {name!r}; available: {available}"
MSG_UNKNOWN_CHECK = "unknown check {name!r}; available: {available}"
MSG_UNKNOWN_TASK = "unknown task {name!r}{hint}; available: {available}"
MSG_NOT_FOR_TASK = "{kind} {name!r} does not apply to task {task!r} (it applies: {available})"
MSG_DATA_FIELD_NOT_FOR_TASK = "data.{field} does not apply to task {task!r} (its data keys: {available})"
MSG_NOT_AN_ATTRIBUTE = "attribute {attr!r} is not a sensitive column of spec {spec!r} (allowed: {allowed})"


@dataclass
class Prepared:
    """A validated spec with its validated policy."""

    spec: Spec
    policy: Policy
    policy_path: Path


def _refuse(message: str, path: Path | None, loc: tuple[Any, ...]) -> SpecError:
    """A SpecError for the policy field at *loc* (its YAML line when the file is at hand)."""
    field = loc_to_path(loc)
    line = None
    if path is not None and path.is_file():
        line = yaml_line(path.read_text(encoding="utf-8"), loc)
    return SpecError(message, file=path, field=field or None, line=line)


def _validate_section(section: dict[str, Any], registry: dict[str, Any], kind: str, msg: str,
                      path: Path | None) -> None:
    """Each entry of a policy's ``guards`` / ``checks``: a registered name whose settings its config accepts."""
    for name, cfg in section.items():
        if name not in registry:
            raise _refuse(msg.format(name=name, available=", ".join(sorted(registry)) or "none"), path, (kind, name))
        try:
            registry[name].config_model.model_validate(cfg or {})
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = tuple(err["loc"])
            text = MSG_UNKNOWN_KEY if err["type"] == "extra_forbidden" else str(err["msg"]).removeprefix(
                "Value error, ")
            dotted = ".".join(str(p) for p in loc)
            raise _refuse(f"{name}.{dotted}: {text}" if dotted else f"{name}: {text}", path,
                          (kind, name, *loc)) from None


def validate_policy(policy: Policy, path: str | Path | None = None) -> Policy:
    """Refuse a policy that names an unknown guard, check, setting or metric; returns it unchanged."""
    p = Path(path) if path is not None else None
    for i, name in enumerate(policy.require):
        if name not in GUARDS:
            raise _refuse(MSG_UNKNOWN_GUARD.format(name=name, available=", ".join(sorted(GUARDS))), p, ("require", i))
    for i, name in enumerate(policy.compliance):
        if name not in FRAMEWORKS:
            raise _refuse(MSG_UNKNOWN_FRAMEWORK.format(name=name, available=", ".join(FRAMEWORKS)), p,
                          ("compliance", i))
    _validate_section(policy.guards, GUARDS, "guards", MSG_UNKNOWN_GUARD, p)
    _validate_section(policy.checks, CHECKS, "checks", MSG_UNKNOWN_CHECK, p)
    for i, th in enumerate(policy.thresholds):
        if not metric_is_known(th.metric):
            close = difflib.get_close_matches(th.metric, known_metric_patterns(), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _refuse(MSG_UNKNOWN_METRIC.format(metric=th.metric, hint=hint), p, ("thresholds", i, "metric"))
    return policy


def load_policy(path: str | Path) -> Policy:
    """Read a policy file and validate it against the registries."""
    return validate_policy(read_policy(path), path)


# the data keys a task may or may not read (the others, where the data is and how it is split, every task reads)
TASK_DATA_FIELDS = {"text", "label", "positive_label", "sensitive", "image", "bad_images"}
TASK_MODEL_FIELDS = {"image_size"}
MSG_MODEL_FIELD_NOT_FOR_TASK = "model.{field} does not apply to task {task!r}"
MSG_ADAPTER_NOT_FOR_TASK = "adapter method {method!r} does not apply to task {task!r} (it supports: {available})"


def validate_spec(spec: Spec) -> Spec:
    """Refuse an unknown task or a data key the task does not read; fill ``model.base`` with the task's default."""
    file = Path(spec.source_file) if spec.source_file else None
    if spec.task not in TASKS:
        close = difflib.get_close_matches(spec.task, list(TASKS), n=1, cutoff=0.6)
        raise _refuse(MSG_UNKNOWN_TASK.format(name=spec.task, hint=f"; did you mean {close[0]!r}?" if close else "",
                                              available=", ".join(sorted(TASKS))), file, ("task",))
    task = TASKS[spec.task]
    reads = set(task.data_fields)
    for field in sorted(spec.data.model_fields_set & TASK_DATA_FIELDS - reads):
        raise _refuse(MSG_DATA_FIELD_NOT_FOR_TASK.format(field=field, task=task.name,
                                                         available=", ".join(task.data_fields) or "none"),
                      file, ("data", field))
    for field in sorted(spec.model.model_fields_set & TASK_MODEL_FIELDS - set(task.model_fields)):
        raise _refuse(MSG_MODEL_FIELD_NOT_FOR_TASK.format(field=field, task=task.name), file, ("model", field))
    adapter = spec.model.adapter
    if "method" not in adapter.model_fields_set and adapter.method != task.default_adapter:
        spec.model.adapter = adapter.model_copy(update={"method": task.default_adapter})
    elif task.adapter_methods is not None and adapter.method not in task.adapter_methods:
        raise _refuse(MSG_ADAPTER_NOT_FOR_TASK.format(method=adapter.method, task=task.name,
                                                      available=", ".join(task.adapter_methods)),
                      file, ("model", "adapter", "method"))
    if spec.model.base is None:
        spec.model.base = task.default_base
    return spec


def load_spec(path: str | Path) -> Spec:
    """Read a spec file and validate it against the registries (its task, the data keys the task reads)."""
    return validate_spec(read_spec(path))


def _check_task_applies(policy: Policy, policy_path: Path, spec: Spec) -> None:
    """Refuse a guard, check or threshold of *policy* that the spec's task has no use for."""
    task = TASKS[spec.task]

    def refuse(kind: str, name: str, loc: tuple[Any, ...]) -> SpecError:
        allowed = task.checks if kind == "check" else task.guards
        return _refuse(MSG_NOT_FOR_TASK.format(kind=kind, name=name, task=task.name,
                                               available=", ".join(allowed) or "none"), policy_path, loc)

    instance = task()
    for name, raw in policy.guards.items():
        if name not in task.guards:
            raise refuse("guard", name, ("guards", name))
        guard = GUARDS[name]
        try:
            guard.check_task(guard.config_model.model_validate(raw or {}), instance)
        except SpecError as exc:
            raise _refuse(exc.message, policy_path, ("guards", name, *(exc.field or "").split(".")[2:])) from None
    for i, name in enumerate(policy.require):
        if name not in task.guards:
            raise refuse("guard", name, ("require", i))
    for name in policy.checks:
        if name not in task.checks:
            raise refuse("check", name, ("checks", name))
    for i, th in enumerate(policy.thresholds):
        producer = producer_of(th.metric)
        if producer in CHECKS and producer not in task.checks:
            raise refuse("check", producer, ("thresholds", i, "metric"))
        if producer in GUARDS and producer not in task.guards:
            raise refuse("guard", producer, ("thresholds", i, "metric"))


def check_policy_against_spec(policy: Policy, policy_path: Path, spec: Spec) -> None:
    """Refuse what the spec's task has no use for, and thresholds on fairness attributes the data does not have
    (before any work)."""
    _check_task_applies(policy, policy_path, spec)
    allowed = set(spec.data.sensitive) | {WORST}
    if len(spec.data.sensitive) >= 2:
        allowed.add(INTERSECTION_SEP.join(spec.data.sensitive))
    for i, th in enumerate(policy.thresholds):
        parts = th.metric.split(".")
        if parts[0] == "fairness" and len(parts) == 3 and parts[1] not in allowed:
            message = MSG_NOT_AN_ATTRIBUTE.format(attr=parts[1], spec=spec.name, allowed=", ".join(sorted(allowed)))
            raise _refuse(message, policy_path, ("thresholds", i, "metric"))


def prepare(spec_path: str | Path, policy_override: str | Path | None = None) -> Prepared:
    """Load a spec and its policy, each validated, and cross-check them."""
    spec = load_spec(spec_path)
    policy_path = Path(policy_override) if policy_override else spec.resolve_path(spec.policy)
    policy = load_policy(policy_path)
    check_policy_against_spec(policy, policy_path, spec)
    return Prepared(spec, policy, policy_path)
