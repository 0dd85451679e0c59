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
from torch.utils.data import ConcatDataset
from torch.utils.data.distributed import DistributedSampler
from tqdm.auto import tqdm

from rai_ft.guards.base import Guard
from rai_ft.modeling.adapters import head_parameters
from rai_ft.training import distributed
from rai_ft.training.batches import EncodedDataset, make_loader
from rai_ft.training.context import TrainContext
from rai_ft.training.schedule import LearningRateSchedule

__all__ = ["TrainSummary", "train_model"]


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


@dataclass
class _Setup:
    """The objects one training run steps: the model, optimizer and loader as the guards wrapped them."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    loader: Any
    dataset: EncodedDataset
    params: list[torch.nn.Parameter]
    criterion: Any
    adalora: Any  # AdaLoRA's rank allocator (called after each step), else None
    shard: bool
    device: Any
    schedule: LearningRateSchedule


def _param_groups(model: torch.nn.Module, params: list[torch.nn.Parameter], ctx: TrainContext) -> list[dict[str, Any]]:
    """One group at ``learning_rate``; the output head in its own group when ``head_learning_rate`` is set."""
    tc = ctx.spec.train
    head = {id(p) for p in head_parameters(model)} if tc.head_learning_rate is not None else set()
    body = [p for p in params if id(p) not in head]
    groups = [{"params": body, "lr": tc.learning_rate}] if body else []
    tail = [p for p in params if id(p) in head]
    return groups + ([{"params": tail, "lr": tc.head_learning_rate}] if tail else [])


def _optimizer(model: torch.nn.Module, params: list[torch.nn.Parameter], ctx: TrainContext) -> torch.optim.Optimizer:
    tc = ctx.spec.train
    groups = _param_groups(model, params, ctx)
    if tc.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=tc.learning_rate, momentum=tc.momentum, weight_decay=tc.weight_decay)
    return torch.optim.AdamW(groups, lr=tc.learning_rate, weight_decay=tc.weight_decay)


def _setup(ctx: TrainContext, guards: list[Guard[Any]]) -> _Setup:
    """Encode the training split, then let each guard wrap the model, the optimizer and the loader."""
    tc = ctx.spec.train
    shard = distributed.init_distributed()
    dataset = ctx.task.train_dataset(ctx)
    private = [g for g in guards if g.private_ddp]
    # dp: Opacus turns the global loader into per-process Poisson samplers at the global rate; else shard it here
    loader = make_loader(dataset, ctx.tokenizer, tc.batch_size, tc.seed, shard and not private)
    adalora = getattr(getattr(ctx.model, "base_model", None), "update_and_allocate", None)
    model = ctx.model.to(distributed.device())
    for guard in guards:
        model = guard.wrap_model(model, ctx)
    if shard:
        model = distributed.wrap(model, bool(private),
                                 all(getattr(g.config, "poisson_sampling", True) for g in private))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = _optimizer(model, params, ctx)
    for guard in guards:
        optimizer = guard.wrap_optimizer(optimizer, ctx)
    for guard in guards:
        loader = guard.wrap_loader(loader, ctx)
    for guard in guards:
        model, optimizer, loader = guard.wrap_training(model, optimizer, loader, ctx)
    schedule = LearningRateSchedule(optimizer, tc.lr_schedule, tc.warmup_ratio, tc.epochs)
    return _Setup(model, optimizer, loader, dataset, params, ctx.criterion, adalora, shard, distributed.device(),
                  schedule)


def _epoch_loader(run: _Setup, ctx: TrainContext, guards: list[Guard[Any]], epoch: int) -> tuple[Any, int]:
    """This epoch's loader (with the guards' extra examples, if any) and how many examples were added."""
    tc = ctx.spec.train
    extras = [ex for guard in guards for ex in guard.extra_examples(epoch, ctx)]
    loader = run.loader
    if extras:  # adversarial / augmented examples join this epoch only (guards refuse to combine with dp)
        added = ctx.task.extra_dataset(ctx, extras)
        loader = make_loader(ConcatDataset([run.dataset, added]), ctx.tokenizer, tc.batch_size, tc.seed + epoch,
                             run.shard)
    sampler = getattr(loader, "sampler", None)
    if isinstance(sampler, DistributedSampler):
        sampler.set_epoch(epoch)
    return loader, len(extras)


def _loss(run: _Setup, batch: dict[str, torch.Tensor], ctx: TrainContext,
          guards: Sequence[Guard[Any]]) -> torch.Tensor | None:
    """The batch (as the guards transform it)'s training loss (the task's; weighted when reweighing), or None for an
    empty batch."""
    batch = {k: v.to(run.device) for k, v in batch.items()}
    if batch["labels"].numel() == 0:  # Poisson sampling can draw an empty batch
        return None
    for guard in guards:
        batch = guard.transform_batch(batch, ctx)
    labels, weights = batch.pop("labels"), batch.pop("weights", None)
    return ctx.task.loss(run.model(**batch).logits, labels, weights, run.criterion, ctx.per_example_loss)


def _batches(loader: Any, rows: int, batch_size: int) -> int:
    """Batches one pass over *loader* yields (its length; else the rows over the batch size)."""
    try:
        return max(1, len(loader))
    except TypeError:
        return max(1, math.ceil(rows / batch_size))


def _train_epoch(run: _Setup, ctx: TrainContext, hooks: Sequence[Any], loader: Any, epoch: int, step: int,
                 summary: TrainSummary, progress: bool) -> tuple[list[float], int]:
    """One pass over *loader*; returns the step losses and the step count after it."""
    tc = ctx.spec.train
    run.model.train()
    losses: list[float] = []
    bar = tqdm(loader, desc=f"epoch {epoch}/{tc.epochs}", disable=not progress or None, unit="step", leave=False)
    batches = _batches(loader, len(run.dataset), tc.batch_size)
    guards = [h for h in hooks if isinstance(h, Guard)]
    for i, batch in enumerate(bar):
        loss = _loss(run, batch, ctx, guards)
        if loss is None:
            continue
        loss.backward()
        if ctx.clip_gradients and tc.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(run.params, tc.max_grad_norm)
        run.schedule.before_step(epoch, min(i, batches - 1), batches)
        run.optimizer.step()
        skipped = getattr(run.optimizer, "_is_last_step_skipped", False)  # virtual batch: not a full step yet
        if not skipped:
            step += 1
            if run.adalora is not None:
                run.adalora(step)  # AdaLoRA reads the gradients: before zero_grad
        run.optimizer.zero_grad(set_to_none=True)
        if skipped:
            continue
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"training loss became {value} at step {step}; lower train.learning_rate")
        losses.append(value)
        summary.step_losses.append(round(value, 5))
        bar.set_postfix(loss=f"{value:.4f}")
        for hook in hooks:
            hook.on_step_end(step, value, ctx)
    return losses, step


class _EarlyStopping:
    """Keeps the best trainable weights by the validation metric; says when patience has run out."""

    def __init__(self, ctx: TrainContext, model: torch.nn.Module) -> None:
        self.config = ctx.spec.train.early_stopping
        self.metric = self.config.metric if self.config else "macro_f1"
        self.best: float | None = None
        self.best_state = _trainable_state(model)
        self.bad_epochs = 0

    def stop(self, logs: dict[str, float], epoch: int, model: torch.nn.Module, summary: TrainSummary) -> bool:
        """Record *epoch*'s validation metric; True when training should stop."""
        value = logs[f"val_{self.metric}"]
        if _improved(self.metric, value, self.best):
            self.best, summary.best_epoch, self.bad_epochs = value, epoch, 0
            self.best_state = _trainable_state(model)
            return False
        self.bad_epochs += 1
        return self.config is not None and self.bad_epochs >= self.config.patience


def train_model(ctx: TrainContext, guards: list[Guard[Any]], progress: bool = True,
                callbacks: Sequence[Any] = ()) -> TrainSummary:
    """Train ``ctx.model`` in place under *guards*; returns the summary. Best weights are restored.

    *callbacks* (e.g. the experiment :class:`~rai_ft.tracking.Tracker`) get ``on_step_end`` and ``on_epoch_end``
    after the guards; they observe and never change training.
    """
    tc = ctx.spec.train
    for guard in guards:  # before anything is encoded: a guard may refuse, or transform the data
        guard.preflight(ctx)
    run = _setup(ctx, guards)
    progress = progress and distributed.is_main()
    summary = TrainSummary(processes=distributed.world_size() if run.shard else 1,
                           trainable_parameters=sum(p.numel() for p in run.params),
                           total_parameters=sum(p.numel() for p in run.model.parameters()))
    early = _EarlyStopping(ctx, run.model)
    hooks = (*guards, *callbacks)
    start, step = time.perf_counter(), 0
    for epoch in range(1, tc.epochs + 1):
        loader, n_extra = _epoch_loader(run, ctx, guards, epoch)
        for guard in guards:
            guard.on_epoch_start(epoch, ctx)
        epoch_start = time.perf_counter()
        losses, step = _train_epoch(run, ctx, hooks, loader, epoch, step, summary, progress)
        logs = {"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else float("nan"),
                "extra_examples": n_extra, "seconds": round(time.perf_counter() - epoch_start, 3)}
        if run.schedule.active:
            logs["lr"] = run.schedule.rate  # the rate of the epoch's last step (first parameter group)
        logs.update(ctx.task.validate(distributed.unwrap(run.model), ctx))
        summary.history.append(logs)
        summary.epochs_run = epoch
        for hook in hooks:
            hook.on_epoch_end(epoch, logs, ctx)
        if early.stop(logs, epoch, run.model, summary):
            summary.stopped_early = epoch < tc.epochs
            break
    if early.config:
        _restore(run.model, early.best_state)
    else:
        summary.best_epoch = summary.epochs_run
    summary.steps, summary.seconds = step, round(time.perf_counter() - start, 3)
    ctx.model = distributed.unwrap(run.model)
    for guard in guards:
        guard.on_train_end(ctx)
    ctx.model = distributed.unwrap(ctx.model).to("cpu")  # the audit runs on the CPU
    return summary
