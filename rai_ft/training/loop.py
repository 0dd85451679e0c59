"""Our training loop: AdamW or SGD, guard hooks, validation each epoch, early stopping with best-weights restore.

The loop is ours (not HF Trainer) so that guards can wrap model, optimizer and loader (Opacus needs
all three) and so that every step is visible to the audit record.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score
from torch.utils.data import ConcatDataset, DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler
from tqdm.auto import tqdm

from rai_ft.data.loading import LABEL, TEXT
from rai_ft.guards.base import Guard
from rai_ft.modeling.inference import predict_proba
from rai_ft.training import distributed
from rai_ft.training.context import TrainContext

__all__ = ["TrainSummary", "EncodedDataset", "make_loader", "train_model", "validation_metrics"]


@dataclass
class TrainSummary:
    """What training did, for audit.json."""

    epochs_run: int = 0
    steps: int = 0
    seconds: float = 0.0
    best_epoch: int = 0
    stopped_early: bool = False
    trainable_parameters: int = 0
    total_parameters: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    processes: int = 1
    baseline: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


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


def make_loader(dataset: Dataset, tokenizer: Any, batch_size: int, seed: int, shard: bool = False) -> DataLoader:
    """A shuffling, seeded loader that pads each batch to its longest member.

    ``shard=True`` (several processes): this process's shard of each global batch of *batch_size*
    (call ``loader.sampler.set_epoch(epoch)`` each epoch).
    """

    def collate(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        labels = torch.tensor([it.pop("labels") for it in items], dtype=torch.long)
        weights = torch.tensor([it.pop("weights") for it in items], dtype=torch.float32)
        batch = tokenizer.pad(items, return_tensors="pt")
        batch["labels"] = labels
        if not torch.all(weights == 1):
            batch["weights"] = weights
        return dict(batch)

    if shard:
        n = distributed.world_size()
        sampler = DistributedSampler(dataset, num_replicas=n, rank=distributed.rank(), shuffle=True, seed=seed)
        return DataLoader(dataset, batch_size=max(1, batch_size // n), sampler=sampler, collate_fn=collate)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=gen, collate_fn=collate)


def validation_metrics(model: torch.nn.Module, tokenizer: Any, texts: list[str], y: np.ndarray,
                       max_length: int, batch_size: int) -> dict[str, float]:
    """Validation loss, accuracy and macro-F1."""
    proba = predict_proba(model, tokenizer, texts, max_length, batch_size, desc="validate")
    pred = proba.argmax(axis=1)
    nll = -np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0)).mean()
    return {"val_loss": float(nll), "val_accuracy": float((pred == y).mean()),
            "val_macro_f1": float(f1_score(y, pred, average="macro", zero_division=0))}


def _trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _restore(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for n, t in state.items():
            params[n].copy_(t)


def _improved(metric: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best - 1e-6 if metric == "loss" else value > best + 1e-6


def train_model(ctx: TrainContext, guards: list[Guard], progress: bool = True,
                callbacks: Sequence[Any] = ()) -> TrainSummary:
    """Train ``ctx.model`` in place under *guards*; returns the summary. Best weights are restored.

    *callbacks* (e.g. the experiment :class:`~rai_ft.tracking.Tracker`) get ``on_step_end`` and ``on_epoch_end``
    after the guards; they observe and never change training.
    """
    spec = ctx.spec
    tc = spec.train
    for guard in guards:  # before anything is encoded: a guard may refuse, or transform the data
        guard.preflight(ctx)
    train_df, val_df = ctx.data.train, ctx.data.validation
    shard = distributed.init_distributed()
    progress = progress and distributed.is_main()
    dev = distributed.device()
    dataset = EncodedDataset(ctx.tokenizer, train_df[TEXT].tolist(), train_df[LABEL].tolist(), tc.max_length,
                             ctx.sample_weights)
    private = [g for g in guards if g.private_ddp]
    # dp: Opacus turns the global loader into per-process Poisson samplers at the global rate; else shard it here
    loader = make_loader(dataset, ctx.tokenizer, tc.batch_size, tc.seed, shard and not private)
    adalora = getattr(getattr(ctx.model, "base_model", None), "update_and_allocate", None)
    model = ctx.model.to(dev)
    for guard in guards:
        model = guard.wrap_model(model, ctx)
    if shard:
        model = distributed.wrap(model, bool(private),
                                 all(getattr(g.config, "poisson_sampling", True) for g in private))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer: torch.optim.Optimizer
    if tc.optimizer == "sgd":
        optimizer = torch.optim.SGD(params, lr=tc.learning_rate, momentum=tc.momentum, weight_decay=tc.weight_decay)
    else:
        optimizer = torch.optim.AdamW(params, lr=tc.learning_rate, weight_decay=tc.weight_decay)
    for guard in guards:
        optimizer = guard.wrap_optimizer(optimizer, ctx)
    for guard in guards:
        loader = guard.wrap_loader(loader, ctx)
    for guard in guards:
        model, optimizer, loader = guard.wrap_training(model, optimizer, loader, ctx)
    criterion = ctx.criterion or F.cross_entropy
    summary = TrainSummary(processes=distributed.world_size() if shard else 1)
    summary.trainable_parameters = sum(p.numel() for p in params)
    summary.total_parameters = sum(p.numel() for p in model.parameters())
    es = tc.early_stopping
    es_metric = es.metric if es else "macro_f1"
    best_value: float | None = None
    best_state = _trainable_state(model)
    bad_epochs = 0
    val_texts, val_y = val_df[TEXT].tolist(), val_df[LABEL].to_numpy()
    start = time.perf_counter()
    step = 0
    for epoch in range(1, tc.epochs + 1):
        extras = [ex for guard in guards for ex in guard.extra_examples(epoch, ctx)]
        epoch_loader = loader
        if extras:  # adversarial / augmented examples join this epoch only (guards refuse to combine with dp)
            added = EncodedDataset(ctx.tokenizer, [t for t, _ in extras], [y for _, y in extras], tc.max_length)
            epoch_loader = make_loader(ConcatDataset([dataset, added]), ctx.tokenizer, tc.batch_size, tc.seed + epoch,
                                       shard)
        if isinstance(getattr(epoch_loader, "sampler", None), DistributedSampler):
            epoch_loader.sampler.set_epoch(epoch)
        for guard in guards:
            guard.on_epoch_start(epoch, ctx)
        model.train()
        epoch_start, losses = time.perf_counter(), []
        bar = tqdm(epoch_loader, desc=f"epoch {epoch}/{tc.epochs}", disable=not progress or None, unit="step", leave=False)
        for batch in bar:
            batch = {k: v.to(dev) for k, v in batch.items()}
            labels, weights = batch.pop("labels"), batch.pop("weights", None)
            if labels.numel() == 0:  # Poisson sampling can draw an empty batch
                continue
            logits = model(**batch).logits
            if weights is not None:  # reweighing (never with dp: the guard refuses that combination)
                loss = (F.cross_entropy(logits, labels, reduction="none") * weights).sum() / weights.sum()
            else:
                loss = criterion(logits, labels)
            loss.backward()
            if ctx.clip_gradients and tc.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(params, tc.max_grad_norm)
            optimizer.step()
            skipped = getattr(optimizer, "_is_last_step_skipped", False)  # virtual batch: not a full step yet
            if not skipped:
                step += 1
                if adalora is not None:
                    adalora(step)  # AdaLoRA reads the gradients: before zero_grad
            optimizer.zero_grad(set_to_none=True)
            if skipped:
                continue
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"training loss became {value} at step {step}; lower train.learning_rate")
            losses.append(value)
            summary.step_losses.append(round(value, 5))
            bar.set_postfix(loss=f"{value:.4f}")
            for hook in (*guards, *callbacks):
                hook.on_step_end(step, value, ctx)
        logs = {"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else float("nan"), "extra_examples": len(extras),
                "seconds": round(time.perf_counter() - epoch_start, 3)}
        logs.update(validation_metrics(distributed.unwrap(model), ctx.tokenizer, val_texts, val_y, tc.max_length,
                                       tc.eval_batch_size))
        summary.history.append(logs)
        summary.epochs_run = epoch
        for hook in (*guards, *callbacks):
            hook.on_epoch_end(epoch, logs, ctx)
        value = logs[f"val_{es_metric}"]
        if _improved(es_metric, value, best_value):
            best_value, summary.best_epoch, bad_epochs = value, epoch, 0
            best_state = _trainable_state(model)
        else:
            bad_epochs += 1
            if es and bad_epochs >= es.patience:
                summary.stopped_early = epoch < tc.epochs
                break
    if es:
        _restore(model, best_state)
    else:
        summary.best_epoch = summary.epochs_run
    summary.steps = step
    summary.seconds = round(time.perf_counter() - start, 3)
    ctx.model = distributed.unwrap(model)
    for guard in guards:
        guard.on_train_end(ctx)
    ctx.model = distributed.unwrap(ctx.model).to("cpu")  # the audit runs on the CPU
    return summary
