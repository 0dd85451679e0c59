"""Check ``counterfactual``: swap identity terms in the test texts and measure how often the prediction flips.

Metric ``fairness.counterfactual_flip_rate`` (share of counterfactual texts whose predicted class changes) and
``fairness.counterfactual_mean_abs_score_change`` (mean |Δ p(favourable)|), with per-attribute and per-swap-pair
tables and the flipped examples. Texts with no listed term are not counterfactually testable and are not counted.

Counterfactuals are decided as the deployed model decides (the run's predictor). Under post-processing by group
(``threshold_optimizer``) a counterfactual text keeps the group and the randomisation draw of the test row it came
from: the deployed system reads the group from the record, not from the words, so the flip rate measures what
the words alone change.
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

from pydantic import BaseModel, Field, model_validator

from rai_ft.checks.base import AuditContext, Check, CheckConfig, unmeasured_if_one_class
from rai_ft.fairness.counterfactual import DEFAULT_SWAPS, counterfactual_flips
from rai_ft.fairness.names import NAME_SWAPS
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample

__all__ = ["CounterfactualCheck", "CounterfactualConfig", "SwapList"]


class SwapList(BaseModel, extra="forbid"):
    """One attribute's aligned terms: ``groups: [male, female]``, ``terms: [[he, she], [his, her]]``."""

    groups: list[str] = Field(..., min_length=2)
    terms: list[list[str]] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _aligned(self) -> "SwapList":
        bad = [t for t in self.terms if len(t) != len(self.groups)]
        if bad:
            raise ValueError(f"every term list needs {len(self.groups)} entries (one per group), got {bad[0]}")
        return self


class CounterfactualConfig(CheckConfig):
    """Settings of the counterfactual check."""

    swaps: dict[str, SwapList] | None = Field(None, description="Attribute -> swap list; None = built-in lists.")
    builtin: list[Literal["gender", "race", "names"]] = Field(
        default_factory=lambda: ["gender", "race"],  # type: ignore[arg-type]  # pydantic validates the default
        description="Built-in lists used when swaps is null; names = first names by perceived race and gender "
                    "(Bertrand & Mullainathan 2004).")
    max_examples: int = Field(5000, ge=1, description="At most this many test texts are swapped.")
    min_counterfactuals: int = Field(20, ge=1, description="Fewer testable texts = insufficient evidence (warn).")
    seed: int = 0


def builtin_swaps(names: Sequence[str]) -> dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """The built-in swap lists asked for: ``gender``, ``race`` (identity words), ``names`` (both name lists)."""
    out = {}
    for name in dict.fromkeys(names):
        out.update(NAME_SWAPS if name == "names" else {name: DEFAULT_SWAPS[name]})
    return out


class CounterfactualCheck(Check[CounterfactualConfig]):
    """Identity-swap counterfactual fairness of the test predictions."""

    name = "counterfactual"
    config_model = CounterfactualConfig
    metric_patterns = ("fairness.counterfactual_flip_rate", "fairness.counterfactual_mean_abs_score_change",
                       "fairness.counterfactual_sign_test_p_value")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Swap, predict all counterfactuals in one batched pass, compare with the shared predictions."""
        cfg = self.config
        if ctx.predictor is None:
            return CheckResult(name=self.name, status="skipped", error="no model to query")
        vacuous = unmeasured_if_one_class(self, ctx.predictions, "a flip rate")
        if vacuous is not None:
            return vacuous
        swaps = builtin_swaps(cfg.builtin) if cfg.swaps is None else {
            a: (tuple(s.groups), [tuple(t) for t in s.terms]) for a, s in cfg.swaps.items()}
        n = len(ctx.texts)
        idx = np.arange(n) if n <= cfg.max_examples else np.sort(
            np.asarray(order_free_sample(ctx.texts, cfg.max_examples, cfg.seed), dtype=int))
        texts = [ctx.texts[i] for i in idx]

        predictor = ctx.predictor

        def predict(batch: list[str]) -> np.ndarray:
            return predictor.proba(batch, desc="counterfactuals", progress=not ctx.quiet)

        def decide(proba: np.ndarray, local: np.ndarray) -> np.ndarray:  # each variant decided as its row is
            return predictor.decide(proba, idx[local])

        res = counterfactual_flips(texts, predict, swaps, ctx.predictions.positive_index, ctx.predictions.proba[idx],
                                   decide=decide, original_pred=ctx.predictions.y_pred[idx])
        for ex in res["examples"]:
            ex["index"] = int(idx[ex["index"]])
        findings = []
        if res["n_counterfactuals"] < cfg.min_counterfactuals:
            findings.append(Finding("warn", f"counterfactual: only {res['n_counterfactuals']} counterfactual texts "
                                    "(texts containing listed identity terms); insufficient evidence",
                                    source=self.name))
        elif res["flip_rate"]:
            worst = max(res["pairs"], key=lambda r: (r["flip_rate"], r["n"]))
            findings.append(Finding("warn" if res["flip_rate"] > 0.05 else "info",
                                    f"counterfactual: swapping identity terms flips {res['flip_rate']:.1%} of "
                                    f"{res['n_counterfactuals']} predictions; worst swap {worst['pair']} "
                                    f"({worst['flip_rate']:.1%} of {worst['n']})", source=self.name))
        sufficient = res["n_counterfactuals"] >= cfg.min_counterfactuals
        ci = {"fairness.counterfactual_flip_rate": res["flip_rate_ci"]} if sufficient and res["flip_rate_ci"] else {}
        details = {**res, "texts_considered": len(texts), "decision": predictor.description}
        return CheckResult(name=self.name, findings=findings, details=details,
                           metrics={"fairness.counterfactual_flip_rate": res["flip_rate"] if sufficient else None,
                                    "fairness.counterfactual_mean_abs_score_change":
                                        res["mean_abs_score_change"] if sufficient else None,
                                    "fairness.counterfactual_sign_test_p_value":
                                        res["sign_test_p_value"] if sufficient else None},
                           metric_ci=ci)
