"""Check ``entity_performance``: how well a token classifier finds entities on the held-out test split.

Entity-level precision, recall and F1 with seqeval's default (conlleval) semantics: an entity counts as found only
when its type and its exact span match. Micro over all entities and per entity type, plus token accuracy (which
the ``O`` tag inflates: it is shown, not a verdict). The micro F1 has a percentile bootstrap interval over test
sentences (the unit the data was split by).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.results import CheckResult, Finding
from rai_ft.tasks.token_classification.entities import CORRECT, PRED, TRUE, entity_scores, prf, sentence_counts
from rai_ft.tasks.token_classification.predictions import TokenPredictions

__all__ = ["EntityPerformanceCheck", "EntityPerformanceConfig", "MSG_NOT_TOKENS", "MSG_TYPE_NEVER_FOUND"]

MSG_NOT_TOKENS = "entity_performance reads token predictions; this run's predictions are per text"
MSG_TYPE_NEVER_FOUND = "entity type {type!r} ({support} in the test split) is never found correctly"


class EntityPerformanceConfig(CheckConfig):
    """Settings of the entity performance check."""

    bootstrap: int = Field(1000, ge=0, le=100_000, description="Bootstrap resamples of test sentences (0 = none).")
    confidence: float = Field(0.95, gt=0, lt=1)
    seed: int = 0


def f1_interval(counts: np.ndarray, n_boot: int, confidence: float, seed: int) -> list[float] | None:
    """Percentile bootstrap interval of micro F1, resampling sentences (rows of :func:`sentence_counts`)."""
    if n_boot == 0 or len(counts) == 0:
        return None
    rng = np.random.default_rng(seed)
    draws = counts[rng.integers(0, len(counts), size=(n_boot, len(counts)))].sum(axis=1)
    f1 = np.array([prf(t, p, c)[2] for t, p, c in draws[:, [TRUE, PRED, CORRECT]]])
    alpha = (1 - confidence) / 2
    return [float(np.quantile(f1, alpha)), float(np.quantile(f1, 1 - alpha))]


class EntityPerformanceCheck(Check[EntityPerformanceConfig]):
    """Entity precision, recall and F1 (micro and per type) and token accuracy."""

    name = "entity_performance"
    config_model = EntityPerformanceConfig
    metric_patterns = ("performance.entity_f1", "performance.entity_precision", "performance.entity_recall",
                       "performance.{attr}.entity_f1", "performance.token_accuracy", "performance.n_test_sentences")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Score the shared test predictions."""
        pred = ctx.predictions
        if not isinstance(pred, TokenPredictions):
            return CheckResult(name=self.name, status="error", error=MSG_NOT_TOKENS)
        cfg = self.config
        gold, found = pred.sentences("true"), pred.sentences("pred")
        scores = entity_scores(gold, found)
        metrics: dict[str, float | None] = {
            "performance.entity_f1": scores["f1"], "performance.entity_precision": scores["precision"],
            "performance.entity_recall": scores["recall"], "performance.token_accuracy": scores["accuracy"],
            "performance.n_test_sentences": float(scores["n_sentences"]),
        }
        metrics.update({f"performance.{t}.entity_f1": s["f1"] for t, s in scores["per_type"].items()})
        interval = f1_interval(sentence_counts(gold, found), cfg.bootstrap, cfg.confidence, cfg.seed)
        findings = [Finding("warn", MSG_TYPE_NEVER_FOUND.format(type=t, support=s["support"]), source=self.name)
                    for t, s in scores["per_type"].items() if s["support"] and not s["correct"]]
        details: dict[str, Any] = {k: scores[k] for k in ("n_true", "n_pred", "n_correct", "n_tokens", "n_sentences",
                                                          "per_type", "report")}
        details["f1_interval"] = interval
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details,
                           metric_ci={"performance.entity_f1": interval} if interval else {})
