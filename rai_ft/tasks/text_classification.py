"""Task ``text-classification``: one label per text (sentiment, topic, a decision on a record written as text).

Data: a table with text column(s), a label column and optional sensitive columns (:mod:`rai_ft.data.loading`);
model: ``AutoModelForSequenceClassification``; predictor: :class:`~rai_ft.modeling.predictor.Predictor`. Every
check and guard applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rai_ft.data.loading import load_data
from rai_ft.modeling.predictor import Predictor
from rai_ft.tasks.base import Task

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.config import Spec
    from rai_ft.data.loading import DataBundle

__all__ = ["TextClassification"]


class TextClassification(Task):
    """A sequence classifier fine-tuned on labelled texts."""

    name = "text-classification"
    default_base = "builtin:minilm"
    checks = ("performance", "fairness", "privacy", "attribution", "robustness", "counterfactual", "documentation",
              "data")
    guards = ("dp", "deidentify", "adversarial", "augment", "fairness_mitigation")
    data_fields = ("text", "label", "positive_label", "sensitive")

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
