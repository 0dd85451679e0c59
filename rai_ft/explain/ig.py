"""Captum Layer Integrated Gradients over the input embeddings, for any HF/PEFT sequence classifier."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from rai_ft.explain.words import WordAttribution, to_words

__all__ = ["IntegratedGradients"]


class IntegratedGradients:
    """Explain predictions by integrating gradients from a [PAD] baseline to the input embeddings.

    Args:
        predictor: The model to explain (:class:`~rai_ft.modeling.predictor.Predictor`); targets are data label
            indices (the predictor maps the model's own output columns to them).
        n_steps: Integration steps; internal_batch_size: steps evaluated per forward pass.

    Post-processing (group thresholds) moves the decision boundary, not the score: the attribution of the decided
    class's probability is also that of its margin to the row's threshold.
    """

    def __init__(self, predictor: Any, n_steps: int = 50, internal_batch_size: int = 16) -> None:
        from captum.attr import LayerIntegratedGradients

        self.predictor = predictor
        model = predictor.model
        self.model, self.tokenizer, self.max_length = model.eval(), predictor.tokenizer, predictor.max_length
        self.n_steps, self.internal_batch_size = n_steps, internal_batch_size
        self._lig = LayerIntegratedGradients(self._forward, model.get_input_embeddings())
        self.cache: dict[str, Any] = {}

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.predictor.forward(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)

    def _encode(self, text: str) -> Any:
        if text not in self.cache:  # tokenise once per text
            self.cache[text] = self.tokenizer(text, truncation=True, max_length=self.max_length,
                                              return_offsets_mapping=True, return_tensors="pt")
        return self.cache[text]

    def explain(self, text: str, target: int) -> tuple[WordAttribution, float]:
        """Word attributions towards data label *target*, and Captum's convergence delta (≈ 0 when n_steps suffices)."""
        enc = self._encode(text)
        ids = enc["input_ids"]
        special = torch.tensor(self.tokenizer.get_special_tokens_mask(ids[0].tolist(), already_has_special_tokens=True),
                               dtype=torch.bool)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        baseline = torch.where(special.unsqueeze(0), ids, torch.full_like(ids, pad))
        token_type = enc.get("token_type_ids", torch.zeros_like(ids))
        attributions, delta = self._lig.attribute(
            inputs=ids, baselines=baseline, additional_forward_args=(enc["attention_mask"], token_type),
            target=int(target), n_steps=self.n_steps, internal_batch_size=self.internal_batch_size,
            return_convergence_delta=True)
        scores = attributions.sum(dim=-1)[0].detach().numpy()
        spans = [(int(s[0]), int(s[1])) for s in enc["offset_mapping"][0].tolist()]
        return to_words(text, spans, scores), float(np.abs(delta.detach().numpy()).max())
