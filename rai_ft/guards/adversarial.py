"""Guard ``adversarial``: adversarial training in our loop.

After ``clean_epochs`` clean epochs, and then every ``attack_every`` epochs, the current model is attacked on a
seeded ``fraction`` of the training split (at most ``max_examples``) with an offline recipe; every successful
adversarial text joins a pool, with its gold label, that is mixed into every later epoch. ``baseline: true`` also
trains the same spec without this guard so the robustness check can attack both on the same examples.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from rai_ft.data.loading import LABEL, TEXT
from rai_ft.errors import UnsupportedError
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.results import Finding
from rai_ft.robustness.recipes import Recipe, get_recipe

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.training.context import TrainContext

__all__ = ["AdversarialGuard", "AdversarialConfig", "MSG_NO_DP_DATA_GUARD", "MSG_COLLAPSED"]

MSG_COLLAPSED = ("adversarial: in round(s) after epoch {epochs} the model classified at most chance ({chance:.2f}) of "
                 "its attacked training sample correctly, so those rounds taught nothing; the model had not learned "
                 "yet "
                 "or training collapsed (add clean_epochs, or lower train.learning_rate)")
MSG_NO_DP_DATA_GUARD = ("guard {name!r} cannot be combined with dp: examples derived from training records break "
                        "per-example privacy accounting")


class AdversarialConfig(GuardConfig):
    """Settings of adversarial training."""

    recipe: str = Field("deepwordbug", description="An offline attack recipe.")
    clean_epochs: int = Field(1, ge=0, description="Epochs before the first attack round.")
    attack_every: int = Field(1, ge=1, description="Epochs between attack rounds.")
    fraction: float = Field(0.25, gt=0, le=1, description="Share of the training split attacked per round.")
    max_examples: int = Field(500, ge=1, description="At most this many training examples attacked per round.")
    time_budget_seconds: float = Field(600.0, gt=0, description="Per attack round.")
    baseline: bool = Field(False, description="Also train without this guard, for a before/after comparison.")
    search_precision: Literal["fp32", "bf16", "auto"] = Field(
        "fp32", description="bf16/auto: guide the attack search with bfloat16 passes (successes confirmed in fp32); "
                            "faster, but the adversarial examples differ from an fp32 search's.")
    seed: int = 0

    @field_validator("recipe")
    @classmethod
    def _offline_recipe(cls, v: str) -> str:
        if not isinstance(get_recipe(v), Recipe):
            raise UnsupportedError(f"adversarial training runs offline recipes only, not {v!r}")
        return v


def refuse_with_dp(name: str, ctx: "TrainContext") -> None:
    """Data-changing guards and DP-SGD do not mix (shared by adversarial and augment)."""
    if "dp" in ctx.policy.guards:
        raise UnsupportedError(MSG_NO_DP_DATA_GUARD.format(name=name))


class AdversarialGuard(Guard[AdversarialConfig]):
    """Mixes adversarial examples, generated against the model being trained, into later epochs."""

    name = "adversarial"
    config_model = AdversarialConfig
    metric_patterns = ("adversarial.examples_added",)
    changes_training_data = True
    implies_checks = ("robustness",)

    def __init__(self, config: AdversarialConfig) -> None:
        super().__init__(config)
        self.pool: list[tuple[str, int]] = []
        self.rounds: list[dict[str, Any]] = []
        self.chance = 0.5

    def wants_baseline(self) -> bool:
        """True when the policy asks for a model trained without this guard."""
        return bool(self.config.baseline)

    def preflight(self, ctx: "TrainContext") -> None:
        """Refuse DP (adversarial copies of a record break per-example accounting)."""
        refuse_with_dp(self.name, ctx)

    def extra_examples(self, epoch: int, ctx: "TrainContext") -> list[tuple[str, int]]:
        """The adversarial pool gathered so far."""
        return list(self.pool)

    def on_epoch_end(self, epoch: int, logs: dict[str, float], ctx: "TrainContext") -> None:
        """Attack round: attack a sample of the training split with the current model and grow the pool."""
        from rai_ft.robustness.model_attack import attack_predictor
        from rai_ft.robustness.summary import summarize

        cfg = self.config
        if epoch < cfg.clean_epochs or (epoch - cfg.clean_epochs) % cfg.attack_every or epoch >= ctx.spec.train.epochs:
            return
        train = ctx.data.train
        k = min(cfg.max_examples, max(1, math.ceil(cfg.fraction * len(train))))
        rows = np.random.default_rng([cfg.seed, epoch]).choice(len(train), size=min(k, len(train)), replace=False)
        texts = train[TEXT].iloc[rows].tolist()
        labels = [int(y) for y in train[LABEL].iloc[rows]]
        run = attack_predictor(ctx.predictor(), texts, labels, get_recipe(cfg.recipe), seed=cfg.seed + epoch,
                               time_budget=cfg.time_budget_seconds, desc=f"adversarial {epoch}",
                               progress=not ctx.quiet, search_precision=cfg.search_precision)
        new = [(r.perturbed, r.label) for r in run.results if r.status == "succeeded"]
        self.pool.extend(new)
        s = summarize(run.results)
        self.chance = 1.0 / len(ctx.data.labels)
        self.rounds.append({"after_epoch": epoch, "attacked": s["attacked"], "succeeded": s["succeeded"],
                            "clean_accuracy": s["clean_accuracy"],
                            "attack_success_rate": s["attack_success_rate"], "added": len(new),
                            "pool_size": len(self.pool), "seconds": run.seconds,
                            "stopped_by_time_budget": run.stopped_by_time_budget})

    def findings(self) -> list[Finding]:
        """Say when no round ran (too few epochs) so nobody believes the model was adversarially trained."""
        if not self.rounds:
            return [Finding("warn", "adversarial: no attack round ran (train.epochs must exceed clean_epochs)",
                            source=self.name)]
        rates = ", ".join(f"{r['attack_success_rate']:.2f}" if r["attack_success_rate"] is not None else "n/a"
                          for r in self.rounds)
        out = []
        collapsed = [r["after_epoch"] for r in self.rounds if (r["clean_accuracy"] or 0.0) <= self.chance + 1e-9]
        if collapsed:
            out.append(Finding("warn", MSG_COLLAPSED.format(epochs=", ".join(map(str, collapsed)), chance=self.chance),
                               source=self.name))
        return out + [Finding("info", f"adversarial: {len(self.pool)} adversarial examples mixed into training over "
                        f"{len(self.rounds)} round(s); success rate on training examples per round: {rates}",
                        source=self.name)]

    def metrics(self) -> dict[str, float | None]:
        """How many adversarial examples training saw."""
        return {"adversarial.examples_added": float(len(self.pool))}

    def summary(self) -> dict[str, Any]:
        """Per-round numbers."""
        recipe = get_recipe(self.config.recipe)
        return {"recipe": recipe if isinstance(recipe, str) else recipe.one_line(),
                "rounds": self.rounds, "pool_size": len(self.pool)}
