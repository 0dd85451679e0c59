"""Guard ``augment``: data augmentation, fresh each epoch (character noise for text; flips, shifts, brightness,
contrast and noise for images).

Each epoch a seeded ``fraction`` of the training examples gets ``copies`` perturbed copies made by the task with
``transformations`` (unset: the task's defaults). For text, about ``word_fraction`` of a copy's non-stopword words
are edited by one of them (no model in the loop, no download); word-level augmentation (``word_level: wordnet``)
runs only where NLTK's WordNet corpus is installed and is refused with one line otherwise. For images, each
augmentation is applied in turn with its own random settings (:mod:`rai_ft.data.image_augment`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from rai_ft.config.loading import known_names
from rai_ft.data.image_augment import IMAGE_AUGMENTATIONS
from rai_ft.errors import UnsupportedError
from rai_ft.guards.adversarial import refuse_with_dp
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.robustness.transforms import TRANSFORMS

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.training.context import TrainContext, TrainingTask

__all__ = ["AugmentGuard", "AugmentConfig", "MSG_WORDNET_MISSING", "MSG_WORD_LEVEL_TASK", "MSG_NOT_FOR_TASK"]

MSG_WORDNET_MISSING = ("augment.word_level: wordnet needs the NLTK WordNet corpus, which is not installed (offline); "
                       "use character-level transformations only")
MSG_WORD_LEVEL_TASK = ("augment.word_level: task {task!r} scores one tag per word, and a synonym can be several words "
                       "or another entity; use character-level transformations only")
MSG_NOT_FOR_TASK = ("{names} do(es) not apply to task {task!r} (it takes: {available}; "
                    "unset: {default})")


class AugmentConfig(GuardConfig):
    """Settings of augmentation."""

    transformations: list[str] | None = Field(None, min_length=1,
                                              description="Unset: the task's defaults (text: character edits; "
                                                          "images: flip, shift, brightness, contrast).")
    fraction: float = Field(0.5, gt=0, le=1, description="Share of training examples augmented each epoch.")
    copies: int = Field(1, ge=1, le=10)
    word_fraction: float = Field(0.1, gt=0, le=1, description="Text: share of a text's words edited (at least one).")
    word_level: list[Literal["wordnet"]] = Field(default_factory=list)
    seed: int = 0

    @field_validator("transformations")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else known_names(v, {**TRANSFORMS, **IMAGE_AUGMENTATIONS}, "transformation(s)")

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
        self.used: list[str] = list(config.transformations or [])

    @classmethod
    def check_task(cls, config: AugmentConfig, task: "TrainingTask") -> None:
        """Refuse transformations the task cannot make, and word-level edits for a task whose targets would not
        survive them."""
        wrong = [t for t in config.transformations or () if t not in task.augmentations]
        if wrong:
            raise UnsupportedError(MSG_NOT_FOR_TASK.format(names=", ".join(map(repr, wrong)), task=task.name,
                                                           available=", ".join(task.augmentations),
                                                           default=", ".join(task.default_augmentations)),
                                   field="guards.augment.transformations")
        if config.word_level and not task.word_level_noise:
            raise UnsupportedError(MSG_WORD_LEVEL_TASK.format(task=task.name), field="guards.augment.word_level")

    def preflight(self, ctx: "TrainContext") -> None:
        """Refuse DP (augmented copies of a record break per-example accounting) and what the task cannot make."""
        refuse_with_dp(self.name, ctx)
        self.check_task(self.config, ctx.task)

    def extra_examples(self, epoch: int, ctx: "TrainContext") -> list[tuple[Any, Any]]:
        """This epoch's perturbed copies (the task makes each: a text, a sentence whose tags still hold, an image)."""
        cfg = self.config
        names = self.used = cfg.transformations or list(ctx.task.default_augmentations)
        rng = np.random.default_rng([cfg.seed, epoch])
        n = ctx.train_size
        rows = rng.choice(n, size=max(1, math.ceil(cfg.fraction * n)), replace=False)
        wordnet = "wordnet" in cfg.word_level
        out = [ctx.task.noisy_copy(example, names, cfg.word_fraction, rng, wordnet)
               for example in ctx.task.train_examples(ctx.data, rows.tolist()) for _ in range(cfg.copies)]
        self.added.append(len(out))
        return out

    def summary(self) -> dict[str, Any]:
        """The transformations used and the augmented copies per epoch."""
        return {"transformations": self.used, "added_per_epoch": self.added}
