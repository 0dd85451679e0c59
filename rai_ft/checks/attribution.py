"""Check ``attribution``: why the model decides, and whether it leans on identity words.

Explains a seeded sample of test predictions (correct and wrong) with Captum Layer Integrated Gradients and
SHAP's Partition explainer, both rolled up to words. Reports: the words with the largest mean |attribution|
per predicted class, per-example heat maps, IG-vs-SHAP rank agreement, IG convergence, and the share of
|attribution| that falls on identity terms (``explainability.sensitive_token_share``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, Literal

import numpy as np
from pydantic import Field
from tqdm.auto import tqdm

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.errors import MissingExtraError
from rai_ft.explain.terms import DEFAULT_TERMS
from rai_ft.explain.words import norm_word, spearman
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample

__all__ = ["AttributionCheck", "AttributionConfig", "select_examples", "global_importance", "sensitive_share"]


class AttributionConfig(CheckConfig):
    """Settings of the attribution check."""

    methods: list[Literal["ig", "shap"]] = Field(default_factory=lambda: ["ig", "shap"],  # type: ignore[arg-type]
                                                 min_length=1)
    max_examples: int = Field(20, ge=1, le=2000)
    time_budget_seconds: float = Field(300.0, gt=0, description="Stop cleanly after this long; report how many.")
    ig_steps: int = Field(50, ge=4, le=1000)
    ig_internal_batch_size: int = Field(16, ge=1)
    shap_max_evals: int = Field(200, ge=10)
    shap_precision: Literal["auto", "fp32", "bf16"] = Field("auto", description="auto = bf16 where the CPU has it.")
    top_k: int = Field(10, ge=1, le=100)
    sensitive_terms: dict[str, list[str]] | None = Field(
        None, description="Attribute -> identity words; None = built-in lists.")
    heatmap_examples: int = Field(8, ge=0, le=100)
    seed: int = 0


def select_examples(y_true: np.ndarray, y_pred: np.ndarray, n: int, seed: int,
                    texts: list[str] | None = None) -> list[int]:
    """A seeded sample of test indices, wrong predictions included in proportion (at least a few if any exist).

    Given the *texts*, rows are chosen by their text (the same rows in any row order); otherwise by position.
    """
    wrong = np.flatnonzero(y_true != y_pred)
    right = np.flatnonzero(y_true == y_pred)
    n_wrong = min(n, len(wrong), max(int(round(n * len(wrong) / max(len(y_true), 1))), min(3, len(wrong))))
    n_right = min(len(right), n - n_wrong)
    if texts is not None:
        picked = order_free_sample(texts, n_wrong, seed, wrong) + order_free_sample(texts, n_right, seed, right)
        return sorted(picked)
    rng = np.random.default_rng(seed)
    chosen = np.r_[rng.choice(wrong, n_wrong, replace=False), rng.choice(right, n_right, replace=False)]
    return sorted(int(i) for i in chosen)


def global_importance(examples: list[dict[str, Any]], method: str, labels: list[str], top_k: int) -> dict[str, list]:
    """Per predicted class: words with the largest mean |attribution| (lower-cased, punctuation kept)."""
    sums: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for ex in examples:
        if method not in ex["attributions"]:
            continue
        for word, score in ex["attributions"][method]:
            sums[ex["pred"]][norm_word(word)].append(abs(score))
    out = {}
    for cls, words in sums.items():
        ranked = sorted(((w, float(np.mean(v)), len(v)) for w, v in words.items() if w), key=lambda t: -t[1])
        out[labels[cls]] = [{"word": w, "mean_abs": m, "count": c} for w, m, c in ranked[:top_k]]
    return out


def sensitive_share(examples: list[dict[str, Any]], method: str,
                    terms: dict[str, list[str]]) -> dict[str, float | None]:
    """Mean over examples of the share of each explanation's |attribution| on each attribute's terms (and ``any``).

    Each example is normalised to total 1 first, so every explanation counts equally whatever the model's
    confidence (IG's total is f(x) - f(baseline), which varies a lot between examples).
    """
    lookup = {attr: {t.lower() for t in words} for attr, words in terms.items()}
    keys = [*lookup, "any"]
    per_example = []
    for ex in examples:
        words = ex["attributions"].get(method, [])
        total = sum(abs(s) for _, s in words)
        if total == 0:
            continue
        shares = dict.fromkeys(keys, 0.0)
        for word, score in words:
            w = norm_word(word)
            hits = [attr for attr, vocab in lookup.items() if w in vocab]
            for attr in hits:
                shares[attr] += abs(score) / total
            if hits:
                shares["any"] += abs(score) / total
        per_example.append(shares)
    if not per_example:
        return dict.fromkeys(keys, None)
    return {k: float(np.mean([s[k] for s in per_example])) for k in keys}


class AttributionCheck(Check[AttributionConfig]):
    """Captum IG + SHAP token attributions with a sensitive-token reliance measure."""

    name = "attribution"
    config_model = AttributionConfig
    presentation_settings = ("heatmap_examples", "ig_internal_batch_size", "time_budget_seconds")
    metric_patterns = ("explainability.sensitive_token_share", "explainability.{attr}.sensitive_token_share",
                       "explainability.ig_shap_rank_correlation", "explainability.ig_convergence_delta",
                       "explainability.examples_explained")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Explain, aggregate, measure."""
        cfg = self.config
        pred = ctx.predictions
        explainers = self._explainers(ctx, cfg)
        chosen = select_examples(pred.y_true, pred.y_pred, cfg.max_examples, cfg.seed, ctx.texts)
        examples, deltas, correlations = [], [], []
        start, stopped = time.perf_counter(), False
        for i in tqdm(chosen, desc="attribution", unit="example", leave=False, disable=None):
            if time.perf_counter() - start > cfg.time_budget_seconds:
                stopped = True
                break
            text, target = ctx.texts[i], int(pred.y_pred[i])
            attributions = {}
            if "ig" in explainers:
                words, delta = explainers["ig"].explain(text, target)
                attributions["ig"] = list(zip(words.words, words.scores))
                deltas.append(delta)
            if "shap" in explainers:
                words = explainers["shap"].explain(text, target)
                attributions["shap"] = list(zip(words.words, words.scores))
            if len(attributions) == 2:
                rho = spearman([abs(s) for _, s in attributions["ig"]], [abs(s) for _, s in attributions["shap"]])
                if rho is not None:
                    correlations.append(rho)
            examples.append({"index": i, "label": pred.labels[int(pred.y_true[i])], "pred": target,
                             "pred_label": pred.labels[target], "correct": bool(pred.y_true[i] == target),
                             "attributions": attributions})
        primary = "ig" if "ig" in explainers else "shap"
        terms = cfg.sensitive_terms or DEFAULT_TERMS
        shares = sensitive_share(examples, primary, terms)
        metrics: dict[str, float | None] = {
            "explainability.sensitive_token_share": shares["any"],
            "explainability.ig_shap_rank_correlation": float(np.mean(correlations)) if correlations else None,
            "explainability.ig_convergence_delta": float(np.mean(deltas)) if deltas else None,
            "explainability.examples_explained": float(len(examples)),
        }
        metrics.update({f"explainability.{a}.sensitive_token_share": v for a, v in shares.items() if a != "any"})
        findings = self._findings(metrics, shares, stopped, len(examples), len(chosen))
        details = {
            "methods": sorted(explainers), "primary": primary,
            "decision": ctx.predictor.description if ctx.predictor else None,
            "settings": cfg.model_dump(exclude={"sensitive_terms"}),
            "terms": terms, "global": {m: global_importance(examples, m, pred.labels, cfg.top_k) for m in explainers},
            "examples": examples[: cfg.heatmap_examples], "n_explained": len(examples), "n_selected": len(chosen),
            "stopped_by_time_budget": stopped, "sensitive_share": shares,
        }
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details)

    def _explainers(self, ctx: AuditContext, cfg: AttributionConfig) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if ctx.predictor is None:
            raise ValueError("no model to explain")
        if "ig" in cfg.methods:
            try:
                from rai_ft.explain.ig import IntegratedGradients

                out["ig"] = IntegratedGradients(ctx.predictor, cfg.ig_steps, cfg.ig_internal_batch_size)
            except ImportError:
                raise MissingExtraError("the attribution check (ig)", "captum", "explain") from None
        if "shap" in cfg.methods:
            try:
                from rai_ft.explain.shap_text import ShapText

                out["shap"] = ShapText(ctx.predictor, cfg.shap_max_evals, ctx.spec.train.eval_batch_size,
                                       cfg.shap_precision)
            except ImportError:
                raise MissingExtraError("the attribution check (shap)", "shap", "explain") from None
        return out

    @staticmethod
    def _findings(metrics: dict, shares: dict, stopped: bool, done: int, chosen: int) -> list[Finding]:
        out = []
        if stopped:
            out.append(Finding("warn", f"attribution: time budget reached; explained {done} of {chosen} examples",
                               source="attribution"))
        share = shares.get("any")
        if share is not None and share > 0.1:
            top = max((a for a in shares if a != "any" and shares[a]), key=lambda a: shares[a], default=None)
            out.append(Finding("warn", f"attribution: {share:.0%} of the model's attribution falls on identity terms"
                               + (f" (mostly {top})" if top else ""), source="attribution"))
        rho = metrics["explainability.ig_shap_rank_correlation"]
        if rho is not None and rho < 0.3:
            out.append(Finding("info", f"attribution: IG and SHAP agree weakly (rank correlation {rho:.2f}); "
                               "read individual heat maps with care", source="attribution"))
        return out
