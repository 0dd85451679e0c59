"""The learning-rate schedule: warm-up, then constant or linear decay, per parameter group, in the real loop."""

from __future__ import annotations

import pytest

from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.training.schedule import lr_factor
from tests.training.test_loop import _run


def test_factor_warms_up_then_stays_or_decays_to_zero() -> None:
    assert [lr_factor("constant", 0.0, p, p + 0.1) for p in (0.0, 0.5, 0.9)] == [1.0, 1.0, 1.0]
    assert lr_factor("linear", 0.0, 0.0, 0.1) == 1.0
    assert lr_factor("linear", 0.0, 0.5, 0.6) == pytest.approx(0.5)
    assert lr_factor("linear", 0.0, 1.0, 1.0) == 0.0
    # a fifth of training warming up: the first step already moves, the rate peaks at 0.2, then falls to 0
    assert lr_factor("linear", 0.2, 0.0, 0.05) == pytest.approx(0.25)
    assert lr_factor("linear", 0.2, 0.2, 0.25) == pytest.approx(1.0)
    assert lr_factor("linear", 0.2, 0.6, 0.65) == pytest.approx(0.5)
    assert lr_factor("constant", 0.2, 0.1, 0.15) == pytest.approx(0.75)
    assert lr_factor("constant", 0.2, 0.5, 0.55) == 1.0


class _Rates(Guard):
    """Records every parameter group's rate after each optimizer step."""

    name = "rates"

    def __init__(self) -> None:
        super().__init__(GuardConfig())
        self.optimizer = None
        self.rates: list[list[float]] = []

    def wrap_optimizer(self, optimizer, ctx):
        self.optimizer = optimizer
        return optimizer

    def on_step_end(self, step, loss, ctx):
        self.rates.append([g["lr"] for g in self.optimizer.param_groups])


def test_linear_schedule_with_warmup_in_the_loop_keeps_each_groups_own_rate(
        tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    rec = _Rates()
    summary, _ = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, guards=[rec], epochs=2,
                      learning_rate=1e-3, head_learning_rate=1e-2, lr_schedule="linear", warmup_ratio=0.25)
    body = [r[0] for r in rec.rates]
    assert all(r[1] == pytest.approx(10 * r[0]) for r in rec.rates)  # the head keeps its 10x
    peak = body.index(max(body))
    assert max(body) == pytest.approx(1e-3)
    assert body[:peak + 1] == sorted(body[:peak + 1]) and body[peak:] == sorted(body[peak:], reverse=True)
    assert peak == pytest.approx(0.25 * len(body), abs=1.5)
    assert 0 < body[-1] <= 1e-3 / (0.75 * len(body)) * 1.01  # the last step: one step's worth above 0
    assert [h["lr"] for h in summary.history] == [body[len(body) // 2 - 1], body[-1]]


def test_constant_schedule_leaves_the_rates_alone(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    rec = _Rates()
    summary, _ = _run(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, guards=[rec], epochs=1,
                      learning_rate=1e-3)
    assert {r[0] for r in rec.rates} == {1e-3}
    assert "lr" not in summary.history[0]  # the record is unchanged for runs without a schedule
