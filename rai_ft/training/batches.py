"""Training batches: texts tokenised once, and seeded loaders that pad each batch to its longest member.

Below the guards and the loop: the loop trains from these, and a guard that needs a trial batch (dp) builds one.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from rai_ft.training import distributed

__all__ = ["EncodedDataset", "make_loader"]


class EncodedDataset(Dataset):
    """Texts tokenised once (no padding) with their label indices."""

    def __init__(self, tokenizer: Any, texts: list[str], labels: list[int], max_length: int,
                 weights: list[float] | None = None) -> None:
        enc = tokenizer(texts, truncation=True, max_length=max_length)
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        self.features = [{k: enc[k][i] for k in keys} for i in range(len(texts))]
        self.labels = list(labels)
        self.weights = list(weights) if weights is not None else [1.0] * len(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {**self.features[i], "labels": self.labels[i], "weights": self.weights[i]}


def _labels(values: list[Any]) -> torch.Tensor:
    """One label per example, or (token classification) one per piece, right-padded with -100 (ignored)."""
    if values and isinstance(values[0], (list, tuple)):
        width = max(len(v) for v in values)
        return torch.tensor([list(v) + [-100] * (width - len(v)) for v in values], dtype=torch.long)
    return torch.tensor(values, dtype=torch.long)


def make_loader(dataset: Dataset, tokenizer: Any, batch_size: int, seed: int, shard: bool = False) -> DataLoader:
    """A shuffling, seeded loader that pads each batch to its longest member.

    ``shard=True`` (several processes): this process's shard of each global batch of *batch_size*
    (call ``loader.sampler.set_epoch(epoch)`` each epoch).
    """

    def collate(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        labels = _labels([it.pop("labels") for it in items])
        weights = torch.tensor([it.pop("weights") for it in items], dtype=torch.float32)
        batch = tokenizer.pad(items, return_tensors="pt")
        batch["labels"] = labels
        if not torch.all(weights == 1):
            batch["weights"] = weights
        return dict(batch)

    if shard:
        n = distributed.world_size()
        sampler: DistributedSampler[Any] = DistributedSampler(dataset, num_replicas=n, rank=distributed.rank(),
                                                              shuffle=True, seed=seed)
        return DataLoader(dataset, batch_size=max(1, batch_size // n), sampler=sampler, collate_fn=collate)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=gen, collate_fn=collate)
