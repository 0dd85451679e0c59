"""The :class:`Guard` base: no-op hooks the training loop calls at fixed points."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from rai_ft.config.loading import StrictModel
from rai_ft.results import Finding

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from rai_ft.data.loading import DataBundle
    from rai_ft.training.context import TrainContext, TrainingTask

__all__ = ["Guard", "GuardConfig", "PrivacySpend", "MitigationPlan"]


class GuardConfig(StrictModel):
    """Base of guard configs (policy ``guards: {<name>: {...}}``); unknown keys are errors."""


G = TypeVar("G", bound=GuardConfig)


@dataclass(frozen=True)
class PrivacySpend:
    """The privacy a guard's training spent on the training split: (ε, δ)-DP under *accountant*."""

    epsilon: float | None
    delta: float
    accountant: str


@dataclass(frozen=True)
class MitigationPlan:
    """What a fairness mitigation targets, for the before/after record.

    ``before`` says what the unmitigated model is: ``"undecided"`` = the same model deciding by its most probable
    label (the mitigation only post-processes), ``"baseline"`` = the twin trained without the data-changing guards.
    """

    method: str
    column: str
    constraint: str
    max_accuracy_cost: float
    before: Literal["undecided", "baseline"]
    config: dict[str, Any] = field(default_factory=dict)  # the settings recorded in audit.json
    checks: tuple[str, ...] = ("performance", "fairness")  # the checks measured before and after


class Guard(Generic[G]):
    """A policy-driven wrapper around training, over its config type *G* (``class DPGuard(Guard[DPConfig])``,
    ``config_model`` = *G*). Override only the hooks you need.

    Hooks run in this order: ``preflight`` (before any model is trained: raise
    :class:`~rai_ft.errors.UnsupportedError` to refuse), ``wrap_model``, ``wrap_optimizer``,
    ``wrap_loader``, ``wrap_training`` (all three together), then per epoch ``extra_examples`` /
    ``on_epoch_start`` / per batch ``transform_batch`` / ``on_step_end`` / ``on_epoch_end``,
    then ``on_train_end``; ``findings`` and ``metrics`` are collected into audit.json.
    """

    name: ClassVar[str] = "guard"
    config_model: ClassVar[type[GuardConfig]] = GuardConfig
    metric_patterns: ClassVar[tuple[str, ...]] = ()
    changes_training_data: ClassVar[bool] = False  # adds examples (adversarial, augment): left out of baselines
    implies_checks: ClassVar[tuple[str, ...]] = ()  # checks that run whenever this guard does
    private_ddp: ClassVar[bool] = False  # several processes: wrap in Opacus' DPDDP instead of torch DDP

    def __init__(self, config: G) -> None:
        self.config: G = config

    @classmethod
    def check_task(cls, config: G, task: "TrainingTask") -> None:
        """Refuse settings the spec's task cannot serve (:class:`~rai_ft.errors.UnsupportedError` with the policy
        field); called by validation, before any work."""

    def preflight(self, ctx: "TrainContext") -> None:
        """Refuse an impossible combination before training starts."""

    def wrap_model(self, model: "torch.nn.Module", ctx: "TrainContext") -> "torch.nn.Module":
        """Return the model to train (possibly wrapped)."""
        return model

    def wrap_optimizer(self, optimizer: "torch.optim.Optimizer", ctx: "TrainContext") -> "torch.optim.Optimizer":
        """Return the optimizer to use (possibly wrapped)."""
        return optimizer

    def wrap_loader(self, loader: Any, ctx: "TrainContext") -> Any:
        """Return the training data loader to use (possibly wrapped)."""
        return loader

    def wrap_training(self, model: "torch.nn.Module", optimizer: "torch.optim.Optimizer", loader: Any,
                      ctx: "TrainContext") -> tuple[Any, Any, Any]:
        """Wrap model, optimizer and loader together (Opacus needs all three at once)."""
        return model, optimizer, loader

    def extra_examples(self, epoch: int, ctx: "TrainContext") -> list[tuple[Any, int]]:
        """(input, target) pairs to mix into this epoch's training data."""
        return []

    def transform_batch(self, batch: dict[str, "torch.Tensor"], ctx: "TrainContext") -> dict[str, "torch.Tensor"]:
        """The training batch the model steps on (e.g. with some inputs replaced by adversarial ones)."""
        return batch

    def wants_baseline(self) -> bool:
        """True if the run should also train a baseline without the data-changing guards, for comparison."""
        return False

    def on_epoch_start(self, epoch: int, ctx: "TrainContext") -> None:
        """Called before each epoch."""

    def on_step_end(self, step: int, loss: float, ctx: "TrainContext") -> None:
        """Called after each optimizer step."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float], ctx: "TrainContext") -> None:
        """Called after each epoch with its train/validation logs."""

    def on_train_end(self, ctx: "TrainContext") -> None:
        """Called once after training (after the best weights are restored)."""

    def save_artifacts(self, model_dir: Any) -> None:
        """Write files the saved model needs at prediction time (e.g. fitted thresholds) into *model_dir*."""

    def postprocessor(self, frame: Any, positive_index: int) -> Any:
        """How the deployed model decides on *frame*'s rows (a
        :class:`~rai_ft.modeling.predictor.PostProcessor`, e.g. group thresholds), or None for the most probable
        label. Every check then audits decisions made this way."""
        return None

    def privacy_spent(self) -> PrivacySpend | None:
        """The (ε, δ) this guard's training spent, for the privacy ledger (None: it gives no DP guarantee)."""
        return None

    def mitigation(self) -> MitigationPlan | None:
        """What this guard mitigates, when it does (its effect is recorded before vs after)."""
        return None

    @classmethod
    def restore(cls, model_dir: Path, config: G, data: "DataBundle") -> "Guard[G] | None":
        """The guard as it was trained, from the artifacts it saved in *model_dir* (``rai-ft audit`` of a saved
        model), or None when it saved none. Raise :class:`~rai_ft.errors.SpecError` if *data* cannot serve them."""
        return None

    def findings(self) -> list[Finding]:
        """Observations for the audit record."""
        return []

    def metrics(self) -> dict[str, float | None]:
        """Flat metrics (``privacy.epsilon`` …) the gate can threshold."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Free-form JSON-ready details for audit.json and the report."""
        return {}
