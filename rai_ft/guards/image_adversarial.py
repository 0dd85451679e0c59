"""Guard ``image_adversarial``: L∞ adversarial training of an image classifier (PGD or fast FGSM), batch by batch.

From epoch ``clean_epochs`` on, a ``fraction`` of every training batch is replaced by adversarial versions of the
same images, made against the model as it is at that step, within an L∞ ball of radius ``epsilon`` in [0, 1] pixel
units (:mod:`rai_ft.robustness.pixels`); labels and loss weights stay. ``fraction: 1`` is Madry et al. (2018)'s
training on adversarial images only; 0.5 is Goodfellow et al. (2015)'s mixture.

* ``pgd``: a random start in the ball, then ``steps`` signed-gradient steps of 2.5 ε / steps (the step size the
  ``image_robustness`` check attacks with);
* ``fgsm``: a random start and one step of 1.25 ε ("fast adversarial training", Wong et al. 2020): one extra
  forward and backward pass per batch instead of ``steps``.

The attack runs with the model in evaluation mode (batch norms keep their running statistics; the pass that trains
is the usual one). ``baseline: true`` also trains the same spec without this guard, so ``image_robustness`` attacks
both models on the same images: accuracy under attack before and after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from rai_ft.errors import UnsupportedError
from rai_ft.guards.adversarial import refuse_with_dp
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.results import Finding

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from rai_ft.training.context import TrainContext

__all__ = ["ImageAdversarialGuard", "ImageAdversarialConfig", "MSG_NOT_IMAGES", "MSG_NO_ROUND"]

MSG_NOT_IMAGES = "image_adversarial attacks pixels: the training batches have no pixel_values"
MSG_NO_ROUND = ("image_adversarial: no batch was attacked (train.epochs must exceed clean_epochs); the model is not "
                "adversarially trained")


class ImageAdversarialConfig(GuardConfig):
    """Settings of image adversarial training."""

    attack: Literal["pgd", "fgsm"] = "pgd"
    epsilon: float = Field(8 / 255, gt=0, le=1, description="L∞ budget in [0, 1] pixel units.")
    steps: int = Field(3, ge=1, le=100, description="PGD steps per batch (fgsm: one).")
    fraction: float = Field(0.5, gt=0, le=1, description="Share of each batch replaced by adversarial images.")
    clean_epochs: int = Field(0, ge=0, description="Epochs trained on clean batches first.")
    baseline: bool = Field(False, description="Also train without this guard, for a before/after comparison.")
    seed: int = 0


class ImageAdversarialGuard(Guard[ImageAdversarialConfig]):
    """Trains on adversarial versions of part of every batch."""

    name = "image_adversarial"
    config_model = ImageAdversarialConfig
    metric_patterns = ("adversarial.images_attacked", "adversarial.training_accuracy_under_attack")
    changes_training_data = True
    implies_checks = ("image_robustness",)

    def __init__(self, config: ImageAdversarialConfig) -> None:
        super().__init__(config)
        self.epoch = 0
        self.attacked = 0
        self.still_right = 0  # attacked images the model still classified right at its step
        self.per_epoch: list[dict[str, Any]] = []

    def wants_baseline(self) -> bool:
        """True when the policy asks for a model trained without this guard."""
        return bool(self.config.baseline)

    def preflight(self, ctx: "TrainContext") -> None:
        """Refuse DP: the attack's backward passes would be recorded as per-example gradients."""
        refuse_with_dp(self.name, ctx)

    def on_epoch_start(self, epoch: int, ctx: "TrainContext") -> None:
        """Remember the epoch (attacks start after ``clean_epochs``)."""
        self.epoch = epoch
        self.per_epoch.append({"epoch": epoch, "attacked": 0, "still_right": 0})

    def transform_batch(self, batch: dict[str, "torch.Tensor"], ctx: "TrainContext") -> dict[str, "torch.Tensor"]:
        """The batch with its first ``fraction`` of images (the loader has shuffled them) made adversarial."""
        import math

        if self.epoch <= self.config.clean_epochs:
            return batch
        if "pixel_values" not in batch:
            raise UnsupportedError(MSG_NOT_IMAGES)
        k = math.ceil(self.config.fraction * len(batch["labels"]))
        x01, y = ctx.tokenizer.unstandardise(batch["pixel_values"][:k]), batch["labels"][:k]
        adv, right = self._attack(x01, y, ctx)
        pixels = batch["pixel_values"].clone()
        pixels[:k] = ctx.tokenizer.standardise(adv)
        self._count(k, right)
        return {**batch, "pixel_values": pixels}

    def _attack(self, x01: "torch.Tensor", y: "torch.Tensor", ctx: "TrainContext") -> tuple["torch.Tensor", int]:
        """Adversarial images of *x01* against the model as it is, and how many it still classifies right."""
        import torch

        from rai_ft.robustness.pixels import pgd

        cfg, predictor, model = self.config, ctx.predictor(), ctx.model
        gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + self.attacked)
        start = torch.rand(x01.shape, generator=gen) * 2 - 1
        steps, size = (cfg.steps, 2.5 * cfg.epsilon / cfg.steps) if cfg.attack == "pgd" else (1, 1.25 * cfg.epsilon)

        def scores(x: torch.Tensor) -> torch.Tensor:
            return predictor.forward(pixel_values=ctx.tokenizer.standardise(x))

        was_training = model.training
        model.eval()
        try:
            adv = pgd(scores, x01, y, cfg.epsilon, steps, size, start)
            with torch.no_grad():
                right = int((scores(adv).argmax(dim=1) == y).sum())
        finally:
            model.train(was_training)
        return adv, right

    def _count(self, k: int, right: int) -> None:
        self.attacked += k
        self.still_right += right
        self.per_epoch[-1]["attacked"] += k
        self.per_epoch[-1]["still_right"] += right

    def findings(self) -> list[Finding]:
        """Say when no batch was attacked, so nobody believes the model was adversarially trained."""
        if not self.attacked:
            return [Finding("warn", MSG_NO_ROUND, source=self.name)]
        cfg = self.config
        return [Finding("info", f"image_adversarial: {self.attacked} training images replaced by {cfg.attack.upper()} "
                        f"images (ε = {cfg.epsilon:.4f} = {cfg.epsilon * 255:.1f}/255); the model classified "
                        f"{self.still_right / self.attacked:.2f} of them right at its step", source=self.name)]

    def metrics(self) -> dict[str, float | None]:
        """How many adversarial images training saw, and how many the model withstood as it trained."""
        acc = self.still_right / self.attacked if self.attacked else None
        return {"adversarial.images_attacked": float(self.attacked),
                "adversarial.training_accuracy_under_attack": acc}

    def summary(self) -> dict[str, Any]:
        """Settings in words and per-epoch counts."""
        cfg = self.config
        steps = f"{cfg.steps} steps of {2.5 * cfg.epsilon / cfg.steps:.4f}" if cfg.attack == "pgd" else \
            f"one step of {1.25 * cfg.epsilon:.4f}"
        return {"attack": cfg.attack, "epsilon": cfg.epsilon, "epsilon_255": cfg.epsilon * 255,
                "how": f"random start, {steps}", "fraction": cfg.fraction,
                "per_epoch": [{**e, "accuracy_under_attack": e["still_right"] / e["attacked"] if e["attacked"]
                               else None} for e in self.per_epoch]}
