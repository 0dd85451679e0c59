"""SHAP Partition explainer with a text masker, over a batched probability function (no pipeline)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rai_ft.explain.words import WordAttribution, to_words

__all__ = ["ShapText"]


class ShapText:
    """Explain predictions with SHAP's Partition explainer.

    The model is called through one batched function (dynamic padding, inference mode, capped length, bfloat16
    autocast where the CPU has native bf16) instead of a transformers pipeline, one text at a time; that is where
    the speed comes from (see bench/explain.py). ``precision``: auto | fp32 | bf16.
    """

    def __init__(self, predictor: Any, max_evals: int = 200, batch_size: int = 64, precision: str = "auto") -> None:
        import shap

        from rai_ft.modeling.inference import use_bf16

        self.max_evals, self.batch_size = max_evals, batch_size
        self.bf16 = use_bf16(precision)

        def f(texts: np.ndarray) -> np.ndarray:  # probabilities in the data's label order
            return predictor.proba([str(t) for t in texts], bf16=self.bf16, batch_size=batch_size)

        self.explainer = shap.Explainer(f, shap.maskers.Text(predictor.tokenizer), output_names=predictor.labels,
                                        silent=True)

    def explain(self, text: str, target: int) -> WordAttribution:
        """Word attributions towards class *target*."""
        exp = self.explainer([text], max_evals=self.max_evals, batch_size=self.batch_size)
        tokens = [str(t) for t in exp.data[0]]
        values = np.asarray(exp.values[0])[:, int(target)]
        spans, pos = [], 0
        for tok in tokens:  # masker tokens concatenate back to the text
            found = text.find(tok, pos) if tok else -1
            if tok.strip() and found >= 0:
                spans.append((found, found + len(tok)))
                pos = found + len(tok)
            else:
                spans.append((pos, pos))
        return to_words(text, spans, values)
