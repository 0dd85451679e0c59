"""Learning-rate schedule of the training loop: an optional linear warm-up, then constant or linear decay to 0.

The schedule reads *progress*, the share of training done (epochs done plus the share of this epoch's batches),
not a step count fixed in advance: the steps of an epoch vary with the guards (augmented or adversarial examples
join an epoch; Poisson sampling under DP draws a random number of batches), and a count planned at the start
would reach 0 too early or never. Every parameter group keeps its own base rate (the head may have its own).
"""

from __future__ import annotations

from typing import Any

__all__ = ["lr_factor", "LearningRateSchedule"]


def lr_factor(schedule: str, warmup: float, done: float, after: float) -> float:
    """The multiplier of each base rate for a step that starts at progress *done* and ends at *after* (0-1).

    Warm-up rises linearly to 1 over the first *warmup* share of training (the first step already moves:
    ``after / warmup``); then ``constant`` keeps 1 and ``linear`` falls linearly to 0 at the end of training.
    """
    if warmup > 0 and done < warmup:
        return min(1.0, after / warmup)
    if schedule == "constant":
        return 1.0
    return max(0.0, (1.0 - done) / (1.0 - warmup))


class LearningRateSchedule:
    """Sets each parameter group's rate before an optimizer step.

    Args:
        optimizer: The optimizer (or a guard's wrapper of it that shares ``param_groups``).
        schedule: ``constant`` or ``linear``.
        warmup: Share of training spent warming up (0 = none).
        epochs: Epochs planned (early stopping may end sooner; the schedule does not shorten for it).
    """

    def __init__(self, optimizer: Any, schedule: str, warmup: float, epochs: int) -> None:
        self.groups = optimizer.param_groups
        self.base = [float(g["lr"]) for g in self.groups]
        self.schedule, self.warmup, self.epochs = schedule, warmup, epochs
        self.active = schedule != "constant" or warmup > 0

    def before_step(self, epoch: int, batch: int, batches: int) -> None:
        """Set the rates for batch *batch* (0-based) of *batches* in epoch *epoch* (1-based)."""
        if not self.active:
            return
        done = (epoch - 1 + batch / batches) / self.epochs
        after = (epoch - 1 + (batch + 1) / batches) / self.epochs
        factor = lr_factor(self.schedule, self.warmup, done, after)
        for group, base in zip(self.groups, self.base):
            group["lr"] = base * factor

    @property
    def rate(self) -> float:
        """The first group's current rate (for the training history)."""
        return float(self.groups[0]["lr"])
