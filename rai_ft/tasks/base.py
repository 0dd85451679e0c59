"""The :class:`Task` base: what a kind of model (text classification, token classification, ...) brings to a run.

A task owns its data loading, its model class, its predictor and its offline default model, and says which checks
and guards apply to it. Validation refuses a policy that asks a task for a check or guard it does not list, before
any work (``rai-ft validate``, ``run`` and ``audit``: exit 2, one line naming the policy file and field).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rai_ft.robustness.transforms import TRANSFORMS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from rai_ft.checks.base import Predictions
    from rai_ft.config import Spec
    from rai_ft.data.loading import DataBundle
    from rai_ft.training.context import TrainContext

__all__ = ["Task"]


class Task:
    """One task. Subclasses set the class attributes and implement the three verbs.

    Attributes:
        name: The spec's ``task:`` value.
        default_base: ``model.base`` when the spec omits it (offline: a ``builtin:`` model from a package).
        checks: The checks that apply to this task.
        guards: The guards that apply to this task.
        data_fields: The ``data:`` keys this task reads besides where the data is (others set are refused).
        default_checks: The checks every audit of this task runs, whatever the policy says.
        peft_task_type: peft's ``TaskType`` name for this task's head.

    Training calls :meth:`train_dataset`, :meth:`extra_dataset`, :meth:`loss` and :meth:`validate`; the audit calls
    :meth:`predictor`, :meth:`predict` and :meth:`data_summary`.
    """

    name: ClassVar[str] = "task"
    default_base: ClassVar[str] = ""
    checks: ClassVar[tuple[str, ...]] = ()
    guards: ClassVar[tuple[str, ...]] = ()
    data_fields: ClassVar[tuple[str, ...]] = ()
    default_checks: ClassVar[tuple[str, ...]] = ()
    peft_task_type: ClassVar[str] = "SEQ_CLS"  # peft's TaskType name: which head an adapter keeps trainable
    head: ClassVar[str] = "sequence"  # the transformers head: one label per text, or "token": one per token
    # whether :meth:`loss` can hand the loss to a guard's loss object (Opacus ghost clipping needs one loss per
    # example from ``criterion(logits, labels)``)
    loss_takes_criterion: ClassVar[bool] = True
    # whether :meth:`noisy_copy` can swap whole words (synonyms) and keep the target true
    word_level_noise: ClassVar[bool] = True
    # the transformations :meth:`noisy_copy` accepts (the augment guard's choice), and those used when unset
    augmentations: ClassVar[tuple[str, ...]] = tuple(TRANSFORMS)
    default_augmentations: ClassVar[tuple[str, ...]] = ("swap", "substitute", "delete", "insert", "qwerty")
    # the ``model:`` keys only this task reads (others' specs that set them are refused)
    model_fields: ClassVar[tuple[str, ...]] = ()
    # the adapter methods this task's models support (None: every registered method), and the default method
    adapter_methods: ClassVar[tuple[str, ...] | None] = None
    default_adapter: ClassVar[str] = "lora"

    def load_data(self, spec: "Spec") -> "DataBundle":  # pragma: no cover - abstract
        """The spec's data, validated and split."""
        raise NotImplementedError

    def load_model(self, location: str, labels: list[str], revision: str | None, allow_pickle: bool) -> Any:
        """The base model at *location* with a head for *labels* (a new head if needed)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def load_processor(self, location: str, spec: "Spec") -> Any:
        """What turns inputs into model features (a tokenizer; an image processor), loaded from *location*."""
        from rai_ft.modeling.loading import load_tokenizer

        return load_tokenizer(location, spec.model.revision)

    def load_saved(self, model_dir: str | Path, labels: list[str], allow_pickle: bool,
                   spec: "Spec") -> tuple[Any, Any, dict[str, Any]]:
        """A saved model to audit: (model in eval mode, its processor, its rai-ft metadata)."""
        from rai_ft.modeling.artifacts import load_saved_model

        return load_saved_model(model_dir, labels=labels, allow_pickle=allow_pickle, head=self.head)

    def predictor(self, model: Any, tokenizer: Any, spec: "Spec", labels: list[str],
                  model_labels: list[str] | None = None) -> Any:
        """The one object every check and guard asks for the model's scores and decisions."""
        raise NotImplementedError  # pragma: no cover - abstract

    def predict(self, predictor: Any, data: "DataBundle", progress: bool = True) -> "Predictions":
        """The test predictions every check shares, computed once."""
        raise NotImplementedError  # pragma: no cover - abstract

    def data_summary(self, data: "DataBundle") -> dict[str, Any]:
        """What audit.json records of the test split's labels (``data.label_distribution``)."""
        raise NotImplementedError  # pragma: no cover - abstract

    # -- training ---------------------------------------------------------------------------------
    def train_dataset(self, ctx: "TrainContext") -> Any:
        """The training split encoded once (a torch Dataset of feature dicts with ``labels`` and ``weights``)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def extra_dataset(self, ctx: "TrainContext", examples: list[tuple[Any, Any]]) -> Any:
        """Guards' extra (input, target) examples for one epoch, encoded like :meth:`train_dataset`."""
        raise NotImplementedError  # pragma: no cover - abstract

    def train_examples(self, data: "DataBundle", rows: Sequence[int]) -> list[tuple[Any, Any]]:
        """The training split's *rows* as (input, target) pairs, the form :meth:`extra_dataset` takes."""
        raise NotImplementedError  # pragma: no cover - abstract

    def noisy_copy(self, example: tuple[Any, Any], transformations: Sequence[str], word_fraction: float,
                   rng: "np.random.Generator", wordnet: bool = False) -> tuple[Any, Any]:
        """A copy of one (input, target) example changed by the named *transformations* (of :attr:`augmentations`;
        for text, about *word_fraction* of its words edited, and WordNet synonyms with *wordnet*); the target still
        holds."""
        raise NotImplementedError  # pragma: no cover - abstract

    def make_private_compatible(self, model: Any) -> str | None:
        """Change what in *model* DP-SGD cannot train (in place, before the optimizer is made), and say what was
        changed (None: nothing; the dp guard then lets Opacus' validator refuse what remains)."""
        return None

    def loss(self, logits: "torch.Tensor", labels: "torch.Tensor", weights: "torch.Tensor | None",
             criterion: Any = None, per_example: bool = False) -> "torch.Tensor":
        """The batch's training loss (*criterion*: a guard's own loss object, e.g. Opacus ghost clipping).

        *per_example* (set by a guard that clips per example, DP): the loss must be the mean over the batch's
        examples of a loss that depends on that example alone, so each example's gradient is its own.
        """
        raise NotImplementedError  # pragma: no cover - abstract

    def validate(self, model: Any, ctx: "TrainContext") -> dict[str, float]:
        """``val_loss``, ``val_accuracy`` and ``val_macro_f1`` on the validation split (early stopping reads one)."""
        raise NotImplementedError  # pragma: no cover - abstract
