"""Why a token classifier gives one word its tag: Captum Layer Integrated Gradients on that word's tag probability.

The explained output is the probability (in the data's tag order, :meth:`TokenPredictor.piece_proba`) of one tag at
the *first piece* of one word, the piece the task reads every word's tag from (:mod:`.align`). Gradients are
integrated from a baseline in which every piece except the special tokens is ``[PAD]`` to the sentence's input
embeddings; each piece's attribution (summed over the embedding dimensions) is summed into the word the piece
belongs to, so every word of the sentence gets one signed score (positive = pushes towards the tag).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rai_ft.tasks.token_classification.align import encode, first_pieces

__all__ = ["TokenIntegratedGradients", "MSG_NO_PIECE"]

MSG_NO_PIECE = "word {index} ({word!r}) has no piece within max_length; its tag cannot be explained"


class TokenIntegratedGradients:
    """Word attributions towards one word's tag.

    Args:
        predictor: A :class:`~rai_ft.tasks.token_classification.predictor.TokenPredictor`.
        n_steps: Integration steps; internal_batch_size: steps evaluated per forward pass.
    """

    def __init__(self, predictor: Any, n_steps: int = 50, internal_batch_size: int = 16) -> None:
        from captum.attr import LayerIntegratedGradients

        self.predictor = predictor
        self.model, self.tokenizer = predictor.model.eval(), predictor.tokenizer
        self.n_steps, self.internal_batch_size = n_steps, internal_batch_size
        self._lig = LayerIntegratedGradients(self._forward, self.model.get_input_embeddings())
        self._position = 0

    def _forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        proba = self.predictor.piece_proba(input_ids=input_ids, attention_mask=attention_mask,
                                           token_type_ids=token_type_ids)
        return proba[:, self._position, :]

    def explain(self, words: Sequence[str], index: int, tag: int) -> tuple[np.ndarray, float]:
        """Per word of *words*, its attribution towards data tag *tag* at word *index*; and Captum's convergence
        delta (|sum of attributions - (f(input) - f(baseline))|, near 0 when ``n_steps`` suffices)."""
        import torch

        enc = encode(self.tokenizer, [list(words)], None, self.predictor.max_length)
        word_ids = enc.word_ids[0]
        first = first_pieces(word_ids, len(words))
        if first[index] < 0:
            raise ValueError(MSG_NO_PIECE.format(index=index, word=words[index]))
        ids = torch.tensor([enc.columns["input_ids"][0]])
        mask = torch.tensor([enc.columns["attention_mask"][0]])
        types = torch.tensor([enc.columns["token_type_ids"][0]]) if "token_type_ids" in enc.columns else None
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        special = torch.tensor([w is None for w in word_ids]).unsqueeze(0)
        baseline = torch.where(special, ids, torch.full_like(ids, pad))
        self._position = int(first[index])
        attributions, delta = self._lig.attribute(
            inputs=ids, baselines=baseline, additional_forward_args=(mask, types), target=int(tag),
            n_steps=self.n_steps, internal_batch_size=self.internal_batch_size, return_convergence_delta=True)
        pieces = attributions.sum(dim=-1)[0].detach().numpy()
        scores = np.zeros(len(words))
        for position, wid in enumerate(word_ids):
            if wid is not None:
                scores[wid] += float(pieces[position])
        return scores, float(np.abs(delta.detach().numpy()).max())
