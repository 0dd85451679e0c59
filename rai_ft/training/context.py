"""What guards see during training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rai_ft.modeling.predictor import Predictor

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from rai_ft.config import Policy, Spec
    from rai_ft.data.loading import DataBundle

__all__ = ["TrainContext"]


@dataclass
class TrainContext:
    """Shared state of one training run. Guards read everything; they write only the fields made for it.

    ``clip_gradients`` is switched off by a guard that clips per sample itself (DP); ``criterion`` replaces
    the default cross-entropy when a guard needs its own loss object (Opacus ghost clipping).
    """

    spec: "Spec"
    policy: "Policy"
    data: "DataBundle"
    model: "torch.nn.Module"
    tokenizer: Any
    steps_per_epoch: int
    total_steps: int
    clip_gradients: bool = True
    criterion: Any = None
    sample_weights: list[float] | None = None  # per training row (reweighing); None = unweighted
    quiet: bool = False  # no progress bars

    @property
    def train_size(self) -> int:
        """Number of training examples."""
        return len(self.data.train)

    def predictor(self) -> Predictor:
        """The model being trained, as a :class:`Predictor` (guards score and decide through it)."""
        return Predictor(self.model, self.tokenizer, self.data.labels, max_length=self.spec.train.max_length,
                         batch_size=self.spec.train.eval_batch_size)

    @property
    def sample_rate(self) -> float:
        """Batch size / training-set size (the sampling rate a DP accountant needs)."""
        return min(1.0, self.spec.train.batch_size / max(1, self.train_size))
