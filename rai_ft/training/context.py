"""What guards see during training."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol


if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from rai_ft.config import Policy, Spec
    from rai_ft.data.loading import DataBundle

__all__ = ["TrainContext", "TrainingTask"]


class TrainingTask(Protocol):
    """What the training loop and the guards need of a task (:class:`rai_ft.tasks.base.Task` provides it)."""

    @property
    def name(self) -> str: ...

    @property
    def word_level_noise(self) -> bool: ...

    @property
    def augmentations(self) -> tuple[str, ...]: ...

    @property
    def default_augmentations(self) -> tuple[str, ...]: ...

    @property
    def loss_takes_criterion(self) -> bool: ...

    def train_dataset(self, ctx: "TrainContext") -> Any: ...

    def extra_dataset(self, ctx: "TrainContext", examples: list[tuple[Any, Any]]) -> Any: ...

    def train_examples(self, data: "DataBundle", rows: Sequence[int]) -> list[tuple[Any, Any]]: ...

    def noisy_copy(self, example: tuple[Any, Any], transformations: Sequence[str], word_fraction: float,
                   rng: "np.random.Generator", wordnet: bool = False) -> tuple[Any, Any]: ...

    def make_private_compatible(self, model: Any) -> str | None: ...

    def loss(self, logits: "torch.Tensor", labels: "torch.Tensor", weights: "torch.Tensor | None",
             criterion: Any = None, per_example: bool = False) -> "torch.Tensor": ...

    def validate(self, model: Any, ctx: "TrainContext") -> dict[str, float]: ...

    def predictor(self, model: Any, tokenizer: Any, spec: Any, labels: list[str],
                  model_labels: list[str] | None = None) -> Any: ...


@dataclass
class TrainContext:
    """Shared state of one training run. Guards read everything; they write only the fields made for it.

    ``clip_gradients`` is switched off by a guard that clips per sample itself (DP); ``criterion`` replaces
    the default cross-entropy when a guard needs its own loss object (Opacus ghost clipping);
    ``per_example_loss`` asks the task for a batch loss that is a mean of per-example losses (DP).
    """

    spec: "Spec"
    policy: "Policy"
    data: "DataBundle"
    model: "torch.nn.Module"
    tokenizer: Any
    steps_per_epoch: int
    total_steps: int
    task: TrainingTask
    clip_gradients: bool = True
    criterion: Any = None
    per_example_loss: bool = False  # set by a guard that clips per example (DP): each example's loss is its own
    sample_weights: list[float] | None = None  # per training row (reweighing); None = unweighted
    quiet: bool = False  # no progress bars

    @property
    def train_size(self) -> int:
        """Number of training examples."""
        return len(self.data.train)

    def predictor(self) -> Any:
        """The model being trained, as its task's predictor (guards score and decide through it)."""
        return self.task.predictor(self.model, self.tokenizer, self.spec, self.data.labels)

    @property
    def sample_rate(self) -> float:
        """Batch size / training-set size (the sampling rate a DP accountant needs)."""
        return min(1.0, self.spec.train.batch_size / max(1, self.train_size))
