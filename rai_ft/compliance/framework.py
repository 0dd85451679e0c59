"""Frameworks as data: each a YAML file in ``frameworks/`` (requirement id, title, our paraphrase, the evidence that
satisfies it, and what only a person can answer), validated by pydantic models that forbid unknown keys; and the
reviewer's answers file that ``rai-ft compliance --answers`` merges.

Evidence kinds (one per item; a list means any one of them):

* ``metric``: a metric name or ``fnmatch`` pattern (``fairness.*.demographic_parity_difference``) measured in the
  run, optionally within ``min`` / ``max`` (every match must be);
* ``check``: the check ran without error;
* ``guard``: the guard was used in training;
* ``field``: a dotted path in audit.json that holds a non-empty value;
* ``gate: passed``: the policy's gate passed (or warned).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from typing import Any

from pydantic import Field, field_validator, model_validator

from rai_ft.config.loading import StrictModel, load_model_file

__all__ = ["Evidence", "Requirement", "Framework", "Answer", "Answers", "FRAMEWORKS", "load_framework",
           "load_answers", "MSG_UNKNOWN_FRAMEWORK", "MSG_ONE_KIND", "MSG_UNKNOWN_REQUIREMENT"]

HERE = Path(__file__).resolve().parent / "frameworks"
# name -> file. Registered explicitly, one line each.
FRAMEWORKS: dict[str, Path] = {
    "eu-ai-act": HERE / "eu-ai-act.yaml",
    "nist-ai-rmf": HERE / "nist-ai-rmf.yaml",
    "iso-42001": HERE / "iso-42001.yaml",
}
MSG_UNKNOWN_FRAMEWORK = "unknown framework {name!r}; available: {available}"
MSG_ONE_KIND = "an evidence item names exactly one of metric, check, guard, field, gate (it names: {kinds})"
MSG_UNKNOWN_REQUIREMENT = "{id!r} is not a requirement of {framework} (its ids: {available})"

KINDS = ("metric", "check", "guard", "field", "gate")


class Evidence(StrictModel):
    """One piece of evidence a run can hold."""

    metric: str | list[str] | None = None
    check: str | list[str] | None = None
    guard: str | list[str] | None = None
    field: str | None = None
    gate: Literal["passed"] | None = None
    min: float | None = None
    max: float | None = None
    what: str = Field(min_length=1, description="What this evidence shows, in one line.")

    @model_validator(mode="after")
    def _one_kind(self) -> "Evidence":
        kinds = [k for k in KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(MSG_ONE_KIND.format(kinds=", ".join(kinds) or "none"))
        return self

    @property
    def kind(self) -> str:
        """Which kind of evidence this is."""
        return next(k for k in KINDS if getattr(self, k) is not None)

    @property
    def names(self) -> list[str]:
        """The metric, check or guard names (any one), or the field path, or ``passed``."""
        value = getattr(self, self.kind)
        return list(value) if isinstance(value, list) else [str(value)]


class Requirement(StrictModel):
    """One requirement (an article, a subcategory, a control)."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    paraphrase: str = Field(min_length=1)
    evidence: list[Evidence] = Field(default_factory=list)
    human: str | None = Field(None, description="What only a person can answer (a question for the reviewer).")

    @model_validator(mode="after")
    def _answerable(self) -> "Requirement":
        if not self.evidence and not self.human:
            raise ValueError(f"requirement {self.id!r} has neither evidence nor a question for a reviewer")
        return self


class Framework(StrictModel):
    """A framework: its identity and its requirements."""

    id: str
    title: str
    version: str
    source: str
    requirements: list[Requirement] = Field(min_length=1)


class Answer(StrictModel):
    """A reviewer's statement on one requirement."""

    statement: str = Field(min_length=1)
    not_applicable: bool = Field(False, description="The reviewer states the requirement does not apply.")


class Answers(StrictModel):
    """The reviewer's answers file: who answered, when, and per framework a statement per requirement id."""

    reviewer: str = Field(min_length=1)
    date: str = Field(min_length=1)
    answers: dict[str, dict[str, Answer]] = Field(default_factory=dict)

    def for_framework(self, framework_id: str) -> dict[str, Answer]:
        """The answers given for one framework."""
        return self.answers.get(framework_id, {})

    @field_validator("date", mode="before")
    @classmethod
    def _iso(cls, v: Any) -> Any:
        return v.isoformat() if hasattr(v, "isoformat") else v


def load_framework(name: str) -> Framework:
    """The named framework, validated."""
    from rai_ft.errors import SpecError

    if name not in FRAMEWORKS:
        raise SpecError(MSG_UNKNOWN_FRAMEWORK.format(name=name, available=", ".join(FRAMEWORKS)), field="--framework")
    return load_model_file(FRAMEWORKS[name], Framework)


def load_answers(path: str | Path) -> Answers:
    """The reviewer's answers; a framework or requirement id that does not exist is refused (file, field)."""
    from rai_ft.errors import SpecError

    answers = load_model_file(Path(path), Answers)
    for fid, given in answers.answers.items():
        if fid not in FRAMEWORKS:
            raise SpecError(MSG_UNKNOWN_FRAMEWORK.format(name=fid, available=", ".join(FRAMEWORKS)), file=path,
                            field=f"answers.{fid}")
        ids = [r.id for r in load_framework(fid).requirements]
        for key in given:
            if key not in ids:
                raise SpecError(MSG_UNKNOWN_REQUIREMENT.format(id=key, framework=fid, available=", ".join(ids)),
                                file=path, field=f"answers.{fid}.{key}")
    return answers
