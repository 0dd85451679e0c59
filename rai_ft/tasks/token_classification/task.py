"""Task ``token-classification``: one tag per word (named entities, PII spans), IOB2 tags, entity-level scores.

Data: CoNLL-style or JSONL files, or ``builtin:wnut17`` (:mod:`.data`); model: ``AutoModelForTokenClassification``
with each word's tag on its first piece (:mod:`.align`); predictor: :class:`.predictor.TokenPredictor`;
performance: the ``entity_performance`` check (seqeval-style entity precision, recall and F1, micro and per type);
privacy: the ``privacy`` check attacks sentences (their mean tag log-probability) and scans the sentences' text.
Early stopping's ``macro_f1`` is the validation entity F1 here, ``accuracy`` the token accuracy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rai_ft.data.loading import DataBundle
from rai_ft.tasks.base import Task
from rai_ft.tasks.token_classification.align import piece_positions
from rai_ft.tasks.token_classification.data import TAGS, TOKENS, load_token_data, sentences_of
from rai_ft.tasks.token_classification.entities import entity_scores, extract_entities
from rai_ft.tasks.token_classification.perturb import noisy_words
from rai_ft.tasks.token_classification.predictions import TokenPredictions
from rai_ft.tasks.token_classification.predictor import TokenPredictor

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from rai_ft.config import Spec
    from rai_ft.training.context import TrainContext

__all__ = ["TokenClassification"]


class TokenClassification(Task):
    """A token classifier fine-tuned on tagged sentences."""

    name = "token-classification"
    default_base = "builtin:minilm"
    checks = ("entity_performance", "privacy", "name_swap", "entity_robustness", "entity_attribution", "documentation")
    guards = ("dp", "deidentify", "augment")
    data_fields = ()
    default_checks = ("entity_performance", "privacy")
    peft_task_type = "TOKEN_CLS"
    head = "token"
    word_level_noise = False  # a synonym can be several words, or another entity: the tags would not hold
    loss_takes_criterion = False  # one loss per word, not per example: Opacus ghost clipping cannot wrap it

    def load_data(self, spec: "Spec") -> DataBundle:
        """The spec's tagged sentences, split at sentence level."""
        return load_token_data(spec)

    def load_model(self, location: str, labels: list[str], revision: str | None, allow_pickle: bool) -> Any:
        """A token classifier with one output per tag."""
        from rai_ft.modeling.loading import load_classifier

        return load_classifier(location, labels, revision, allow_pickle, head="token")

    def predictor(self, model: Any, tokenizer: Any, spec: "Spec", labels: list[str],
                  model_labels: list[str] | None = None) -> TokenPredictor:
        """Per-word tag probabilities in the data's tag order."""
        return TokenPredictor(model, tokenizer, labels, model_labels, max_length=spec.train.max_length,
                              batch_size=spec.train.eval_batch_size)

    def predict(self, predictor: TokenPredictor, data: DataBundle, progress: bool = True) -> TokenPredictions:
        """Every test word's tag probabilities, and its most probable tag."""
        proba = predictor.word_proba(data.test[TOKENS].tolist(), desc="predict test", progress=progress)
        return TokenPredictions.from_sentences(data.test[TAGS].tolist(), proba, data.labels)

    def data_summary(self, data: DataBundle) -> dict[str, Any]:
        """Test entities per type."""
        counts = Counter(e[0] for tags in sentences_of(data.test, data.labels) for e in extract_entities(tags))
        return {"test": dict(sorted(counts.items()))}

    def train_dataset(self, ctx: "TrainContext") -> Any:
        """The training sentences, each word's tag on its first piece."""
        from rai_ft.tasks.token_classification.dataset import TokenDataset

        train = ctx.data.train
        return TokenDataset(ctx.tokenizer, train[TOKENS].tolist(), train[TAGS].tolist(), ctx.spec.train.max_length)

    def extra_dataset(self, ctx: "TrainContext", examples: list[tuple[Any, Any]]) -> Any:
        """(words, tag indices) pairs from the guards."""
        from rai_ft.tasks.token_classification.dataset import TokenDataset

        return TokenDataset(ctx.tokenizer, [w for w, _ in examples], [t for _, t in examples],
                            ctx.spec.train.max_length)

    def train_examples(self, data: DataBundle, rows: Sequence[int]) -> list[tuple[Any, Any]]:
        """(words, tag indices) pairs."""
        train = data.train.iloc[list(rows)]
        return [(list(w), [int(t) for t in tags]) for w, tags in zip(train[TOKENS], train[TAGS])]

    def noisy_copy(self, example: tuple[Any, Any], transformations: Sequence[str], word_fraction: float,
                   rng: np.random.Generator, wordnet: bool = False) -> tuple[Any, Any]:
        """The sentence with character edits in about *word_fraction* of its words (one word stays one word, so
        every tag still holds); the same tags."""
        words, tags = example
        return noisy_words(words, transformations, word_fraction, rng), tags

    def loss(self, logits: "torch.Tensor", labels: "torch.Tensor", weights: "torch.Tensor | None",
             criterion: Any = None, per_example: bool = False) -> "torch.Tensor":
        """Cross-entropy over the first pieces of the words (other positions are -100, ignored): the mean over all
        the batch's words; with *per_example* (DP) the mean over sentences of each sentence's mean, so that a
        sentence's gradient does not depend on how many words the other sentences have."""
        import torch.nn.functional as F

        logits = piece_positions(logits, labels.shape[1])
        if not per_example:
            return F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100)
        words = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
        counted = (labels != -100).sum(dim=1).clamp(min=1)
        return (words.sum(dim=1) / counted).mean()

    def validate(self, model: Any, ctx: "TrainContext") -> dict[str, float]:
        """Word-level loss and token accuracy, and the entity F1 (as ``val_macro_f1``) on the validation split."""
        val, labels = ctx.data.validation, ctx.data.labels
        predictor = TokenPredictor(model, ctx.tokenizer, labels, max_length=ctx.spec.train.max_length,
                                   batch_size=ctx.spec.train.eval_batch_size)
        proba = predictor.word_proba(val[TOKENS].tolist(), desc="validate")
        gold = val[TAGS].tolist()
        flat_p, flat_y = np.concatenate(proba), np.concatenate([np.asarray(g) for g in gold])
        nll = -np.log(np.clip(flat_p[np.arange(len(flat_y)), flat_y], 1e-12, 1.0)).mean()
        scores = entity_scores([[labels[i] for i in g] for g in gold],
                               [[labels[i] for i in p.argmax(axis=1)] for p in proba])
        return {"val_loss": float(nll), "val_accuracy": float(scores["accuracy"]), "val_macro_f1": float(scores["f1"])}
