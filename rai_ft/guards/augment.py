"""Guard ``augment``: data augmentation with character noise, fresh each epoch.

Each epoch a seeded ``fraction`` of the training texts gets ``copies`` perturbed copies, with about
``word_fraction`` of their non-stopword words edited by one of ``transformations`` (no model in the loop, no
download). Word-level augmentation (``word_level: wordnet``) runs only where NLTK's WordNet corpus is installed
and is refused with one line otherwise.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from rai_ft.config.loading import known_names
from rai_ft.errors import UnsupportedError
from rai_ft.guards.adversarial import refuse_with_dp
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.robustness.transforms import TRANSFORMS

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.training.context import TrainContext

__all__ = ["AugmentGuard", "AugmentConfig", "MSG_WORDNET_MISSING", "MSG_WORD_LEVEL_TASK"]

MSG_WORDNET_MISSING = ("augment.word_level: wordnet needs the NLTK WordNet corpus, which is not installed (offline); "
                       "use character-level transformations only")
MSG_WORD_LEVEL_TASK = ("augment.word_level: task {task!r} scores one tag per word, and a synonym can be several words "
                       "or another entity; use character-level transformations only")


class AugmentConfig(GuardConfig):
    """Settings of augmentation."""

    transformations: list[str] = Field(default_factory=lambda: ["swap", "substitute", "delete", "insert", "qwerty"],
                                       min_length=1)
    fraction: float = Field(0.5, gt=0, le=1, description="Share of training texts augmented each epoch.")
    copies: int = Field(1, ge=1, le=10)
    word_fraction: float = Field(0.1, gt=0, le=1, description="Share of a text's words edited (at least one).")
    word_level: list[Literal["wordnet"]] = Field(default_factory=list)
    seed: int = 0

    @field_validator("transformations")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return known_names(v, TRANSFORMS, "transformation(s)")

    @field_validator("word_level")
    @classmethod
    def _resources(cls, v: list[str]) -> list[str]:
        if "wordnet" in v:
            try:
                import nltk

                nltk.data.find("corpora/wordnet")
            except (ImportError, LookupError):
                raise UnsupportedError(MSG_WORDNET_MISSING) from None
        return v


class AugmentGuard(Guard[AugmentConfig]):
    """Adds freshly perturbed copies of training texts to every epoch."""

    name = "augment"
    config_model = AugmentConfig
    changes_training_data = True

    def __init__(self, config: AugmentConfig) -> None:
        super().__init__(config)
        self.added: list[int] = []

    def preflight(self, ctx: "TrainContext") -> None:
        """Refuse DP (augmented copies of a record break per-example accounting), and word-level edits for a task
        whose tags would not survive them."""
        refuse_with_dp(self.name, ctx)
        if self.config.word_level and not ctx.task.word_level_noise:
            raise UnsupportedError(MSG_WORD_LEVEL_TASK.format(task=ctx.task.name), field="guards.augment.word_level")

    def extra_examples(self, epoch: int, ctx: "TrainContext") -> list[tuple[Any, Any]]:
        """This epoch's perturbed copies (the task makes each: a text, or a sentence whose tags still hold)."""
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, epoch])
        n = ctx.train_size
        rows = rng.choice(n, size=max(1, math.ceil(cfg.fraction * n)), replace=False)
        wordnet = "wordnet" in cfg.word_level
        out = [ctx.task.noisy_copy(example, cfg.transformations, cfg.word_fraction, rng, wordnet)
               for example in ctx.task.train_examples(ctx.data, rows.tolist()) for _ in range(cfg.copies)]
        self.added.append(len(out))
        return out

    def summary(self) -> dict[str, Any]:
        """Augmented copies per epoch."""
        return {"added_per_epoch": self.added}
