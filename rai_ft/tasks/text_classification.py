"""Task ``text-classification``: one label per text (sentiment, topic, a decision on a record written as text).

Data: a table with text column(s), a label column and optional sensitive columns (:mod:`rai_ft.data.loading`);
model: ``AutoModelForSequenceClassification``; predictor: :class:`~rai_ft.modeling.predictor.Predictor`. Every
check and guard applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rai_ft.checks.base import Predictions
from rai_ft.data.loading import LABEL, TEXT, DataBundle, load_data
from rai_ft.modeling.predictor import Predictor
from rai_ft.robustness.noise import perturb
from rai_ft.tasks.base import Task

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from rai_ft.config import Spec
    from rai_ft.training.context import TrainContext

__all__ = ["TextClassification", "validation_metrics"]


class TextClassification(Task):
    """A sequence classifier fine-tuned on labelled texts."""

    name = "text-classification"
    default_base = "builtin:minilm"
    checks = ("performance", "fairness", "privacy", "attribution", "robustness", "counterfactual", "documentation",
              "data")
    guards = ("dp", "deidentify", "adversarial", "augment", "fairness_mitigation")
    data_fields = ("text", "label", "positive_label", "sensitive")
    default_checks = ("performance", "fairness", "privacy", "data")

    def load_data(self, spec: "Spec") -> "DataBundle":
        """The spec's table, validated and split (stratified by label, seeded)."""
        return load_data(spec)

    def load_model(self, location: str, labels: list[str], revision: str | None, allow_pickle: bool) -> Any:
        """A sequence classifier with one output per label."""
        from rai_ft.modeling.loading import load_classifier

        return load_classifier(location, labels, revision, allow_pickle)

    def predictor(self, model: Any, tokenizer: Any, spec: "Spec", labels: list[str],
                  model_labels: list[str] | None = None) -> Predictor:
        """Probabilities in the data's label order, batched at the spec's eval batch size."""
        return Predictor(model, tokenizer, labels, model_labels=model_labels, max_length=spec.train.max_length,
                         batch_size=spec.train.eval_batch_size)

    def predict(self, predictor: Predictor, data: DataBundle, progress: bool = True) -> Predictions:
        """Probabilities in data order and decisions as deployed, on the test split."""
        proba = predictor.proba(data.test[TEXT].tolist(), desc="predict test", progress=progress)
        return Predictions(y_true=data.test[LABEL].to_numpy(), y_pred=predictor.decide(proba, np.arange(len(proba))),
                           proba=proba, labels=data.labels, positive_index=data.positive_index)

    def data_summary(self, data: DataBundle) -> dict[str, Any]:
        """Test rows per label."""
        counts = data.test[LABEL].value_counts().to_dict()
        return {"test": {data.labels[int(k)]: int(v) for k, v in counts.items()}}

    def train_dataset(self, ctx: "TrainContext") -> Any:
        """The training texts tokenised once, with label indices and per-row loss weights (reweighing)."""
        from rai_ft.training.batches import EncodedDataset

        train = ctx.data.train
        return EncodedDataset(ctx.tokenizer, train[TEXT].tolist(), train[LABEL].tolist(), ctx.spec.train.max_length,
                              ctx.sample_weights)

    def extra_dataset(self, ctx: "TrainContext", examples: list[tuple[Any, Any]]) -> Any:
        """(text, label index) pairs from the guards (adversarial, augmented)."""
        from rai_ft.training.batches import EncodedDataset

        return EncodedDataset(ctx.tokenizer, [t for t, _ in examples], [y for _, y in examples],
                              ctx.spec.train.max_length)

    def train_examples(self, data: "DataBundle", rows: Sequence[int]) -> list[tuple[Any, Any]]:
        """(text, label index) pairs."""
        train = data.train.iloc[list(rows)]
        return [(t, int(y)) for t, y in zip(train[TEXT], train[LABEL])]

    def noisy_copy(self, example: tuple[Any, Any], transformations: Sequence[str], word_fraction: float,
                   rng: np.random.Generator, wordnet: bool = False) -> tuple[Any, Any]:
        """The text with ceil(word_fraction x words) non-stopword words edited; the same label."""
        text, label = example
        return perturb(text, list(transformations), word_fraction, rng, wordnet), label

    def loss(self, logits: "torch.Tensor", labels: "torch.Tensor", weights: "torch.Tensor | None",
             criterion: Any = None, per_example: bool = False) -> "torch.Tensor":
        """Cross-entropy (a mean over texts, so per example as it is); weighted by row when reweighing (never with
        dp: that guard refuses the combination)."""
        import torch.nn.functional as F

        if weights is not None:
            return (F.cross_entropy(logits, labels, reduction="none") * weights).sum() / weights.sum()
        return (criterion or F.cross_entropy)(logits, labels)

    def validate(self, model: Any, ctx: "TrainContext") -> dict[str, float]:
        """Loss, accuracy and macro-F1 on the validation texts."""
        val = ctx.data.validation
        tc = ctx.spec.train
        return validation_metrics(model, ctx.tokenizer, val[TEXT].tolist(), val[LABEL].to_numpy(), tc.max_length,
                                  tc.eval_batch_size)


def validation_metrics(model: Any, tokenizer: Any, texts: list[str], y: np.ndarray, max_length: int,
                       batch_size: int) -> dict[str, float]:
    """Validation loss, accuracy and macro-F1 of a sequence classifier."""
    from sklearn.metrics import f1_score

    from rai_ft.modeling.inference import predict_proba

    proba = predict_proba(model, tokenizer, texts, max_length, batch_size, desc="validate")
    pred = proba.argmax(axis=1)
    nll = -np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0)).mean()
    return {"val_loss": float(nll), "val_accuracy": float((pred == y).mean()),
            "val_macro_f1": float(f1_score(y, pred, average="macro", zero_division=0))}
