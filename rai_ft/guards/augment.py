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

from rai_ft.data.loading import LABEL, TEXT
from rai_ft.errors import UnsupportedError
from rai_ft.guards.adversarial import refuse_with_dp
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.robustness.text import WordText
from rai_ft.robustness.transforms import STOPWORDS, TRANSFORMS, candidates

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.training.context import TrainContext

__all__ = ["AugmentGuard", "AugmentConfig", "perturb", "MSG_WORDNET_MISSING"]

MSG_WORDNET_MISSING = ("augment.word_level: wordnet needs the NLTK WordNet corpus, which is not installed (offline); "
                       "use character-level transformations only")


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
        unknown = [t for t in v if t not in TRANSFORMS]
        if unknown:
            raise ValueError(f"unknown transformation(s) {unknown}; available: {', '.join(TRANSFORMS)}")
        return v

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


def _synonym(word: str, rng: np.random.Generator) -> list[str]:
    from nltk.corpus import wordnet

    names = {lemma.name().replace("_", " ") for s in wordnet.synsets(word) for lemma in s.lemmas()} - {word}
    return [sorted(names)[rng.integers(len(names))]] if names else []


def perturb(text: str, names: list[str], word_fraction: float, rng: np.random.Generator,
            wordnet: bool = False) -> str:
    """A copy of *text* with ceil(word_fraction x words) non-stopword words edited (fewer if too few qualify)."""
    wt = WordText.parse(text)
    spots = [i for i, w in enumerate(wt.words) if w.lower() not in STOPWORDS and len(w) > 1]
    if not spots:
        return text
    k = min(len(spots), max(1, math.ceil(word_fraction * len(wt))))
    for i in rng.choice(spots, size=k, replace=False):
        options = candidates(wt.words[i], names, rng) + (_synonym(wt.words[i], rng) if wordnet else [])
        if options:
            wt = wt.replace(int(i), options[rng.integers(len(options))])
    return wt.render()


class AugmentGuard(Guard[AugmentConfig]):
    """Adds freshly perturbed copies of training texts to every epoch."""

    name = "augment"
    config_model = AugmentConfig
    changes_training_data = True

    def __init__(self, config: AugmentConfig) -> None:
        super().__init__(config)
        self.added: list[int] = []

    def preflight(self, ctx: "TrainContext") -> None:
        """Refuse DP (augmented copies of a record break per-example accounting)."""
        refuse_with_dp(self.name, ctx)

    def extra_examples(self, epoch: int, ctx: "TrainContext") -> list[tuple[str, int]]:
        """This epoch's perturbed copies."""
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, epoch])
        train = ctx.data.train
        n = len(train)
        rows = rng.choice(n, size=max(1, math.ceil(cfg.fraction * n)), replace=False)
        texts, labels = train[TEXT].to_numpy(), train[LABEL].to_numpy()
        out = [(perturb(texts[r], cfg.transformations, cfg.word_fraction, rng, "wordnet" in cfg.word_level),
                int(labels[r])) for r in rows for _ in range(cfg.copies)]
        self.added.append(len(out))
        return out

    def summary(self) -> dict[str, Any]:
        """Augmented copies per epoch."""
        return {"added_per_epoch": self.added}
