"""The training loop: determinism, learning, early stopping with best-weights restore, guard hooks."""

from __future__ import annotations

from rai_ft.config import load_spec
from rai_ft.tasks.text_classification import TextClassification
from rai_ft.validation import load_policy
from rai_ft.data.loading import load_data
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.modeling.adapters import apply_adapter
from rai_ft.modeling.loading import load_classifier, load_tokenizer
from rai_ft.training.context import TrainContext
from rai_ft.training.loop import train_model
from rai_ft.training.seed import seed_everything
from tests.conftest import SEED, spec_dict, write_yaml


def _run(tmp_path, model_dir, csv, policy, guards=(), **train):
    settings = {"epochs": 3, "batch_size": 16, "learning_rate": 5e-3, "max_length": 32, "seed": SEED + 4,
                "early_stopping": None}
    settings.update(train)
    spec = load_spec(write_yaml(tmp_path / "s.yaml", spec_dict(model_dir, csv, policy, train=settings)))
    data = load_data(spec)
    seed_everything(spec.train.seed)
    tok = load_tokenizer(str(model_dir))
    model = apply_adapter(load_classifier(str(model_dir), data.labels), spec.model.adapter, 10)
    ctx = TrainContext(spec=spec, policy=load_policy(spec.resolve_path(spec.policy)), data=data, model=model,
                       tokenizer=tok, task=TextClassification(), steps_per_epoch=10, total_steps=30)
    return train_model(ctx, list(guards), progress=False), ctx


def test_same_seed_same_losses(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    a, _ = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, epochs=1)
    b, _ = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, epochs=1)
    c, _ = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, epochs=1, seed=SEED + 5)
    assert a.step_losses == b.step_losses
    assert a.step_losses != c.step_losses


def test_learns_the_trigger_word_task(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    summary, _ = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, epochs=6)
    assert summary.history[-1]["val_accuracy"] >= 0.9
    assert summary.history[-1]["train_loss"] < summary.history[0]["train_loss"]


def test_early_stopping_restores_best_epoch(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    # a huge learning rate makes validation loss bounce; the best epoch's weights must be the ones kept
    summary, ctx = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, epochs=6, learning_rate=0.5,
                        early_stopping={"patience": 1, "metric": "loss"})
    losses = [h["val_loss"] for h in summary.history]
    assert summary.best_epoch == 1 + losses.index(min(losses))
    if summary.epochs_run < 6:
        assert summary.stopped_early
    from rai_ft.data.loading import LABEL, TEXT
    from rai_ft.tasks.text_classification import validation_metrics

    now = validation_metrics(ctx.model, ctx.tokenizer, ctx.data.validation[TEXT].tolist(),
                             ctx.data.validation[LABEL].to_numpy(), 32, 64)
    assert abs(now["val_loss"] - min(losses)) < 1e-5


class _Recorder(Guard):
    name = "recorder"

    def __init__(self) -> None:
        super().__init__(GuardConfig())
        self.calls: list[str] = []

    def preflight(self, ctx):
        self.calls.append("preflight")

    def wrap_model(self, model, ctx):
        self.calls.append("wrap_model")
        return model

    def wrap_optimizer(self, optimizer, ctx):
        self.calls.append("wrap_optimizer")
        return optimizer

    def wrap_loader(self, loader, ctx):
        self.calls.append("wrap_loader")
        return loader

    def on_epoch_start(self, epoch, ctx):
        self.calls.append(f"epoch_start{epoch}")

    def on_step_end(self, step, loss, ctx):
        if "step" not in self.calls:
            self.calls.append("step")

    def on_epoch_end(self, epoch, logs, ctx):
        self.calls.append(f"epoch_end{epoch}")

    def on_train_end(self, ctx):
        self.calls.append("train_end")


def test_guard_hooks_run_in_order(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    rec = _Recorder()
    _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, guards=[rec], epochs=2)
    assert rec.calls == ["preflight", "wrap_model", "wrap_optimizer", "wrap_loader", "epoch_start1", "step",
                         "epoch_end1", "epoch_start2", "epoch_end2", "train_end"]


def test_sensitive_columns_never_reach_the_model(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    from rai_ft.training.batches import EncodedDataset

    spec = load_spec(write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, lenient_policy)))
    data = load_data(spec)
    tok = load_tokenizer(str(tiny_model_dir))
    ds = EncodedDataset(tok, data.train["__text__"].tolist(), data.train["__label__"].tolist(), 32)
    # weights: the loss weight (1 unless reweighed)
    assert set(ds[0]) == {"input_ids", "attention_mask", "token_type_ids", "labels", "weights"}
    flipped = data.train.assign(group=data.train["group"].map({"a": "b", "b": "a"}))
    ds2 = EncodedDataset(tok, flipped["__text__"].tolist(), flipped["__label__"].tolist(), 32)
    assert ds.features == ds2.features


def _weights(model) -> dict[str, object]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_head_learning_rate_moves_only_the_head_when_the_body_rate_is_tiny(
        tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    import torch

    before: dict[str, object] = {}

    class _Snap(_Recorder):
        def wrap_model(self, model, ctx):
            before.update(_weights(model))
            return model

    _, ctx = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, guards=[_Snap()], epochs=1,
                  learning_rate=1e-12, head_learning_rate=5e-2)
    moved = {n for n, p in ctx.model.named_parameters()
             if p.requires_grad and not torch.allclose(p.detach(), before[n], atol=1e-7)}
    assert moved and all("classifier" in n for n in moved)
    trainable = {n for n, p in ctx.model.named_parameters() if p.requires_grad}
    assert trainable - moved  # the body was trainable too, and stayed put at its tiny rate
