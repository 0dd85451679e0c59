"""``predict``: labels from a saved rai-ft model, with its fairness thresholds applied when it has them."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from rai_ft.errors import SpecError

__all__ = ["predict"]


def predict(model_dir: str | Path, texts: Sequence[str], sensitive: Sequence[str] | None = None,
            batch_size: int = 64) -> list[str]:
    """Predicted label names for *texts*.

    A model trained with ``fairness_mitigation: {method: threshold_optimizer}`` decides with per-group thresholds
    and needs each text's group in *sensitive* (the same column it was fitted on); a plain model ignores it.
    """
    from rai_ft.fairness.thresholds import GroupThresholds, load_thresholds
    from rai_ft.modeling.artifacts import load_saved_model
    from rai_ft.modeling.predictor import Predictor

    model, tokenizer, meta = load_saved_model(model_dir)
    labels = list(meta["labels"])
    predictor = Predictor(model, tokenizer, labels, model_labels=meta.get("model_labels"),
                          max_length=int(meta.get("max_length", 128)), batch_size=batch_size)
    thresholds = load_thresholds(model_dir)
    if thresholds is not None:
        if sensitive is None or len(sensitive) != len(texts):
            raise SpecError(f"this model decides with group thresholds by {thresholds['column']!r}: pass one group "
                            "per text as sensitive=[...]")
        pos = labels.index(meta["labels"][meta["positive_index"]])
        predictor = predictor.with_postprocess(GroupThresholds(thresholds, np.asarray(sensitive), pos))
    return [labels[i] for i in predictor.predict(list(texts), np.arange(len(texts)))]
