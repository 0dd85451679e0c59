"""The one way anything asks a model for scores or decisions: :class:`Predictor`.

A predictor owns the model, its tokenizer, the map from the model's output columns to the data's labels (an
outside model may order its ``id2label`` differently) and any post-processing that decides for the model as
deployed (group thresholds). Checks and guards call the predictor, never the model: so every check audits the
same thing, the model that ships.

Post-processing may depend on the row a text came from (its sensitive group, its randomisation draw). Calls that
decide therefore name the *rows*: a counterfactual or adversarial variant of test row ``i`` is decided as row
``i`` would be, with that row's group and draw.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

import numpy as np

from rai_ft.errors import SpecError
from rai_ft.modeling.inference import predict_proba

__all__ = ["Predictor", "PostProcessor", "MSG_LABELS_DIFFER", "MSG_ROWS_NEEDED"]

MSG_LABELS_DIFFER = "model labels {model} do not match data labels {data}"
MSG_ROWS_NEEDED = "this predictor decides with {what}: pass the row of every text"

Scorer = Callable[[list[str]], np.ndarray]


class PostProcessor(Protocol):
    """Decides from class probabilities (data label order) with per-row context, e.g. group thresholds."""

    description: str

    def decide(self, proba: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Label indices for *proba* (n, k), row ``rows[j]`` deciding text ``j``."""
        ...

    def partition(self, rows: np.ndarray) -> list[tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]]:
        """Rows grouped by decision rule, each with a map from probabilities to decision scores.

        A decision score matrix has the shape of the probabilities and its argmax is the decision: an attack
        that lowers the true label's decision score is attacking the deployed decision.
        """
        ...


class Predictor:
    """Scores and decisions of one model in the data's label order.

    Args:
        model: A sequence classifier (PEFT models included).
        tokenizer: Its tokenizer.
        labels: The data's labels; every probability this predictor returns has one column per label, in this order.
        model_labels: The model's own label order (``id2label``); None = the same as *labels*.
        max_length: Truncation length.
        batch_size: Texts per forward pass unless a call says otherwise.
        postprocess: Decides for the deployed model (None = the most probable label).
    """

    def __init__(self, model: Any, tokenizer: Any, labels: Sequence[str], *,
                 model_labels: Sequence[str] | None = None, max_length: int = 128, batch_size: int = 64,
                 postprocess: PostProcessor | None = None) -> None:
        own = list(model_labels) if model_labels is not None else list(labels)
        if sorted(own) != sorted(labels):
            raise SpecError(MSG_LABELS_DIFFER.format(model=own, data=list(labels)), field="--model")
        self.model, self.tokenizer = model, tokenizer
        self.labels, self.model_labels = list(labels), own
        self.columns = [own.index(label) for label in self.labels]  # model column of data label i
        self.max_length, self.batch_size = max_length, batch_size
        self.postprocess = postprocess

    @property
    def description(self) -> str:
        """How this predictor decides, in words (for the record)."""
        return self.postprocess.description if self.postprocess else "the most probable label"

    def with_postprocess(self, postprocess: PostProcessor | None) -> "Predictor":
        """The same model deciding through *postprocess*."""
        return Predictor(self.model, self.tokenizer, self.labels, model_labels=self.model_labels,
                         max_length=self.max_length, batch_size=self.batch_size, postprocess=postprocess)

    def model_column(self, label_index: int) -> int:
        """The model's output column that holds data label *label_index* (explainers target it)."""
        return self.columns[int(label_index)]

    def forward(self, **encoded: Any) -> Any:
        """Differentiable class probabilities (torch, data label order) of encoded inputs, for gradient explainers."""
        import torch

        logits = self.model(**encoded).logits
        return torch.softmax(logits, dim=-1)[:, self.columns]

    def proba(self, texts: Sequence[str], *, desc: str = "predict", progress: bool = False, bf16: bool = False,
              batch_size: int | None = None) -> np.ndarray:
        """Class probabilities, shape (len(texts), len(labels)), columns in the data's label order."""
        p = predict_proba(self.model, self.tokenizer, list(texts), self.max_length, batch_size or self.batch_size,
                          desc=desc, progress=progress, bf16=bf16)
        return p[:, self.columns] if len(p) and self.columns != list(range(len(self.columns))) else p

    def decide(self, proba: np.ndarray, rows: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Label indices the deployed model gives for *proba*; *rows* are needed when a post-processor decides."""
        if self.postprocess is None:
            return proba.argmax(axis=1)
        if rows is None:
            raise SpecError(MSG_ROWS_NEEDED.format(what=self.postprocess.description))
        return self.postprocess.decide(proba, np.asarray(rows, dtype=int))

    def predict(self, texts: Sequence[str], rows: Sequence[int] | np.ndarray | None = None,
                **kwargs: Any) -> np.ndarray:
        """Decided label indices for *texts* (see :meth:`decide`)."""
        return self.decide(self.proba(texts, **kwargs), rows)

    def scorers(self, rows: Sequence[int], *, bf16: bool = False,
                batch_size: int | None = None) -> list[tuple[np.ndarray, Scorer]]:
        """*rows* split by decision rule, each with a texts -> decision scores function (argmax = decision)."""
        rows_a = np.asarray(rows, dtype=int)

        def score(transform: Callable[[np.ndarray], np.ndarray] | None) -> Scorer:
            def f(texts: list[str]) -> np.ndarray:
                p = self.proba(texts, bf16=bf16, batch_size=batch_size)
                return transform(p) if transform is not None and len(p) else p
            return f

        if self.postprocess is None:
            return [(rows_a, score(None))]
        return [(part, score(transform)) for part, transform in self.postprocess.partition(rows_a)]
