"""The :class:`Task` base: what a kind of model (text classification, token classification, ...) brings to a run.

A task owns its data loading, its model class, its predictor and its offline default model, and says which checks
and guards apply to it. Validation refuses a policy that asks a task for a check or guard it does not list, before
any work (``rai-ft validate``, ``run`` and ``audit``: exit 2, one line naming the policy file and field).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.config import Spec
    from rai_ft.data.loading import DataBundle
    from rai_ft.modeling.predictor import Predictor

__all__ = ["Task"]


class Task:
    """One task. Subclasses set the class attributes and implement the three verbs.

    Attributes:
        name: The spec's ``task:`` value.
        default_base: ``model.base`` when the spec omits it (offline: a ``builtin:`` model from a package).
        checks: The checks that apply to this task.
        guards: The guards that apply to this task.
        data_fields: The ``data:`` keys this task reads besides where the data is (others set are refused).
    """

    name: ClassVar[str] = "task"
    default_base: ClassVar[str] = ""
    checks: ClassVar[tuple[str, ...]] = ()
    guards: ClassVar[tuple[str, ...]] = ()
    data_fields: ClassVar[tuple[str, ...]] = ()

    def load_data(self, spec: "Spec") -> "DataBundle":  # pragma: no cover - abstract
        """The spec's data, validated and split."""
        raise NotImplementedError

    def load_model(self, location: str, labels: list[str], revision: str | None, allow_pickle: bool) -> Any:
        """The base model at *location* with a head for *labels* (a new head if needed)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def predictor(self, model: Any, tokenizer: Any, spec: "Spec", labels: list[str],
                  model_labels: list[str] | None = None) -> "Predictor":
        """The one object every check and guard asks for the model's scores and decisions."""
        raise NotImplementedError  # pragma: no cover - abstract
