"""The task axis: a spec names its task, the task supplies the default model, and a policy asking a task for a check
or guard it does not list is refused at validation (one line naming the policy file, field and line)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rai_ft import registry
from rai_ft.errors import SpecError
from rai_ft.registry import TASKS, checks_to_run
from rai_ft.tasks.text_classification import TextClassification
from rai_ft.validation import (MSG_DATA_FIELD_NOT_FOR_TASK, MSG_NOT_FOR_TASK, load_policy, load_spec, prepare)
from tests.conftest import write_yaml


class Narrow(TextClassification):
    """A task that admits only two checks and one guard (what a new task's module declares)."""

    name = "narrow"
    checks = ("performance", "documentation")
    guards = ("dp",)
    data_fields = ("label",)


@pytest.fixture()
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TASKS, Narrow.name, Narrow)


def _spec(tmp_path: Path, policy: dict, **top: object) -> Path:
    write_yaml(tmp_path / "policy.yaml", policy)
    spec = {"name": "t", "data": {"source": "data.csv", "label": "label"}, "policy": "policy.yaml", **top}
    return write_yaml(tmp_path / "spec.yaml", spec)


def test_model_base_defaults_to_the_tasks_offline_model(tmp_path: Path) -> None:
    spec = load_spec(_spec(tmp_path, {"name": "p"}))
    assert spec.task == "text-classification"
    assert spec.model.base == TextClassification.default_base == "builtin:minilm"


def test_unknown_task_is_refused_with_file_line_and_a_hint(tmp_path: Path) -> None:
    path = _spec(tmp_path, {"name": "p"}, task="text-clasification")
    with pytest.raises(SpecError, match="unknown task 'text-clasification'; did you mean 'text-classification'") as err:
        load_spec(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("task:"))
    assert (err.value.field, err.value.file, err.value.line) == ("task", str(path), line)


@pytest.mark.parametrize(("policy", "field", "kind", "name"), [
    ({"guards": {"augment": {}}}, "guards.augment", "guard", "augment"),
    ({"checks": {"robustness": {}}}, "checks.robustness", "check", "robustness"),
    ({"require": ["adversarial"]}, "require[0]", "guard", "adversarial"),
    ({"thresholds": [{"metric": "performance.accuracy", "min": 0.1},
                     {"metric": "robustness.attack_success_rate", "max": 0.5}]}, "thresholds[1].metric", "check",
     "robustness"),
])
def test_a_check_or_guard_the_task_does_not_list_is_refused_at_validation(
        tmp_path: Path, narrow: None, policy: dict, field: str, kind: str, name: str) -> None:
    path = _spec(tmp_path, {"name": "p", **policy}, task="narrow")
    with pytest.raises(SpecError) as err:
        prepare(path)
    allowed = Narrow.checks if kind == "check" else Narrow.guards
    assert err.value.message == MSG_NOT_FOR_TASK.format(kind=kind, name=name, task="narrow",
                                                             available=", ".join(allowed))
    assert err.value.field == field and err.value.file == str(tmp_path / "policy.yaml")
    assert err.value.line is not None


def test_what_the_task_lists_is_accepted_and_only_its_checks_run(tmp_path: Path, narrow: None) -> None:
    prep = prepare(_spec(tmp_path, {"name": "p", "guards": {"dp": {}}, "checks": {"documentation": {}}}, task="narrow"))
    assert checks_to_run(prep.policy, "narrow") == ["performance", "documentation"]
    full = load_policy(write_yaml(tmp_path / "full.yaml", {"name": "p", "checks": {"documentation": {}}}))
    assert checks_to_run(full) == ["performance", "fairness", "privacy", "data", "documentation"]


def test_a_data_key_the_task_does_not_read_is_refused(tmp_path: Path, narrow: None) -> None:
    write_yaml(tmp_path / "policy.yaml", {"name": "p"})
    path = write_yaml(tmp_path / "spec.yaml", {"name": "t", "task": "narrow", "policy": "policy.yaml",
                                               "data": {"source": "d.csv", "label": "y", "text": "review"}})
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.message == MSG_DATA_FIELD_NOT_FOR_TASK.format(field="text", task="narrow",
                                                                        available="label")
    assert err.value.field == "data.text"


def test_every_registered_task_lists_only_registered_checks_and_guards() -> None:
    for task in TASKS.values():
        assert set(task.checks) <= set(registry.CHECKS), task.name
        assert set(task.guards) <= set(registry.GUARDS), task.name
        assert task.default_base


def test_no_two_checks_or_guards_produce_the_same_metric_name() -> None:
    # a threshold's metric names the one check that produces it (producer_of): a name two checks share, e.g. the
    # text and the token attribution checks, would switch on and gate the wrong one
    def overlap(a: str, b: str) -> bool:
        pa, pb = a.split("."), b.split(".")
        return len(pa) == len(pb) and all(x == y or "{attr}" in (x, y) for x, y in zip(pa, pb))

    producers = [(name, p) for reg in (registry.CHECKS, registry.GUARDS) for name, item in reg.items()
                 for p in item.metric_patterns]
    clashes = [(n1, p1, n2, p2) for i, (n1, p1) in enumerate(producers) for n2, p2 in producers[i + 1:]
               if n1 != n2 and overlap(p1, p2)]
    assert not clashes


def test_cli_validate_refuses_an_unknown_task_in_one_line(tmp_path: Path) -> None:
    path = _spec(tmp_path, {"name": "p"}, task="ner")
    proc = subprocess.run([sys.executable, "-m", "rai_ft", "validate", str(path), "--no-data"], capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "spec.yaml:" in proc.stderr
    assert ": task: unknown task 'ner'; available: image-classification, text-classification" in proc.stderr
