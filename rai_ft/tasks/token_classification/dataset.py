"""Training sentences encoded once for a token classifier: each word's tag on its first piece, -100 elsewhere."""

from __future__ import annotations

from typing import Any, Sequence

from torch.utils.data import Dataset

from rai_ft.tasks.token_classification.align import encode

__all__ = ["TokenDataset"]


class TokenDataset(Dataset):
    """Sentences (lists of words) with one tag index per word, tokenised once without padding."""

    def __init__(self, tokenizer: Any, sentences: Sequence[Sequence[str]], tag_ids: Sequence[Sequence[int]],
                 max_length: int) -> None:
        enc = encode(tokenizer, sentences, tag_ids, max_length)
        self.features = enc.features()
        self.n_truncated = enc.n_truncated  # words cut off by max_length (their tags are not learned)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {**self.features[i], "weights": 1.0}
