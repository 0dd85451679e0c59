"""Check ``entity_attribution``: which words make a token classifier tag an entity, and does it lean on identity words?

For an order-free sample of test entities, Captum Layer Integrated Gradients explains the probability of the tag
at the entity's first word (:class:`rai_ft.tasks.token_classification.explain.TokenIntegratedGradients`): every
word of the sentence gets a signed score. Three kinds of entity are explained: *found* (predicted with the gold
span and type), *spurious* (predicted, not in the gold) and *missed* (gold, not predicted; the gold tag is explained,
so the scores say what held the model back). Reports: per entity type the context words with the largest mean
|attribution|, heat maps, the share of attribution outside the entity's own words
(``explainability.entity_context_share``) and on identity terms (``explainability.entity_sensitive_token_share``,
the same measure and word lists as the text ``attribution`` check).
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np
from pydantic import Field
from tqdm.auto import tqdm

from rai_ft.checks.attribution import global_importance, sensitive_share
from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.errors import MissingExtraError
from rai_ft.explain.terms import DEFAULT_TERMS
from rai_ft.privacy.pii import mask_strings
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample
from rai_ft.tasks.token_classification.data import TOKENS
from rai_ft.tasks.token_classification.entities import extract_entities
from rai_ft.tasks.token_classification.predictions import TokenPredictions

__all__ = ["EntityAttributionCheck", "EntityAttributionConfig", "entity_candidates", "MSG_NOT_TOKENS",
           "MSG_NO_ENTITY", "MSG_SENSITIVE", "MSG_TIME_BUDGET"]

MSG_NOT_TOKENS = "entity_attribution needs a token classifier's predictor and its test sentences; this run has neither"
MSG_NO_ENTITY = "entity_attribution: no entity in the test split, gold or predicted; nothing to explain"
MSG_SENSITIVE = "entity_attribution: {share:.0%} of the tagger's attribution falls on identity terms{top}"
MSG_TIME_BUDGET = "entity_attribution: time budget reached; explained {done} of {chosen} entities"

Kind = Literal["found", "spurious", "missed"]


class EntityAttributionConfig(CheckConfig):
    """Settings of the entity attribution check."""

    max_entities: int = Field(30, ge=1, le=5000, description="Entities explained at most (a seeded order-free "
                                                              "sample of found, spurious and missed ones).")
    time_budget_seconds: float = Field(300.0, gt=0, description="Stop cleanly after this long; report how many.")
    ig_steps: int = Field(50, ge=4, le=1000)
    ig_internal_batch_size: int = Field(16, ge=1)
    top_k: int = Field(10, ge=1, le=100)
    sensitive_terms: dict[str, list[str]] | None = Field(
        None, description="Attribute -> identity words; None = built-in lists.")
    warn_share: float = Field(0.10, ge=0, le=1, description="A sensitive-token share above this is a warn finding.")
    heatmap_examples: int = Field(8, ge=0, le=100)
    seed: int = 0


def entity_candidates(gold: list[list[str]], found: list[list[str]]) -> list[tuple[int, str, int, int, Kind]]:
    """Every (sentence, type, start, end, kind) entity: predicted ones (found or spurious) and missed gold ones."""
    out: list[tuple[int, str, int, int, Kind]] = []
    for i, (g, f) in enumerate(zip(gold, found)):
        true, pred = set(extract_entities(g)), extract_entities(f)
        out += [(i, t, s, e, "found" if (t, s, e) in true else "spurious") for t, s, e in pred]
        out += [(i, t, s, e, "missed") for t, s, e in sorted(true - set(pred), key=lambda x: x[1])]
    return out


class EntityAttributionCheck(Check[EntityAttributionConfig]):
    """Captum IG on the tag of each sampled entity's first word, rolled up to words."""

    name = "entity_attribution"
    config_model = EntityAttributionConfig
    presentation_settings = ("heatmap_examples", "ig_internal_batch_size", "time_budget_seconds")
    metric_patterns = ("explainability.entity_context_share", "explainability.entity_sensitive_token_share",
                       "explainability.{attr}.entity_sensitive_token_share",
                       "explainability.entity_ig_convergence_delta", "explainability.entities_explained")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Sample entities, explain each, aggregate."""
        pred = ctx.predictions
        if not isinstance(pred, TokenPredictions) or ctx.predictor is None or ctx.data is None:
            return CheckResult(name=self.name, status="error", error=MSG_NOT_TOKENS)
        cfg = self.config
        words = [list(w) for w in ctx.data.test[TOKENS]]
        gold, found = pred.sentences("true"), pred.sentences("pred")
        pool = entity_candidates(gold, found)
        if not pool:
            return CheckResult(name=self.name, metrics=dict.fromkeys(self._metric_names(cfg)),
                               findings=[Finding("warn", MSG_NO_ENTITY, source=self.name)])
        keys = ["\x1f".join([" ".join(words[i]), t, str(s), str(e), k]) for i, t, s, e, k in pool]
        chosen = [pool[j] for j in order_free_sample(keys, cfg.max_entities, cfg.seed)]
        examples, deltas, stopped = self._explain(ctx, words, gold, found, chosen)
        return self._result(examples, deltas, stopped, len(chosen))

    def _metric_names(self, cfg: EntityAttributionConfig) -> list[str]:
        terms = cfg.sensitive_terms or DEFAULT_TERMS
        return ["explainability.entity_context_share", "explainability.entity_sensitive_token_share",
                *[f"explainability.{a}.entity_sensitive_token_share" for a in terms],
                "explainability.entity_ig_convergence_delta", "explainability.entities_explained"]

    def _explain(self, ctx: AuditContext, words: list[list[str]], gold: list[list[str]], found: list[list[str]],
                 chosen: list[tuple[int, str, int, int, Kind]]) -> tuple[list[dict[str, Any]], list[float], bool]:
        """One explanation per chosen entity, until the time budget runs out."""
        cfg, labels = self.config, ctx.predictions.labels
        try:
            from rai_ft.tasks.token_classification.explain import TokenIntegratedGradients
        except ImportError:
            raise MissingExtraError("the entity_attribution check", "captum", "explain") from None
        ig = TokenIntegratedGradients(ctx.predictor, cfg.ig_steps, cfg.ig_internal_batch_size)
        examples: list[dict[str, Any]] = []
        deltas: list[float] = []
        start = time.perf_counter()
        for i, etype, s, e, kind in tqdm(chosen, desc="entity attribution", unit="entity", leave=False,
                                         disable=True if ctx.quiet else None):
            if time.perf_counter() - start > cfg.time_budget_seconds:
                return examples, deltas, True
            tag = (gold if kind == "missed" else found)[i][s]
            scores, delta = ig.explain(words[i], s, labels.index(tag))
            deltas.append(delta)
            examples.append({"sentence": i, "type": etype, "start": s, "end": e, "kind": kind, "tag": tag,
                             "words": words[i], "scores": [float(x) for x in scores]})
        return examples, deltas, False

    def _result(self, examples: list[dict[str, Any]], deltas: list[float], stopped: bool,
                n_chosen: int) -> CheckResult:
        """Metrics, findings and (masked) details from the explained entities."""
        cfg = self.config
        terms = cfg.sensitive_terms or DEFAULT_TERMS
        as_pairs = [{"attributions": {"ig": list(zip(x["words"], x["scores"]))}} for x in examples]
        shares = sensitive_share(as_pairs, "ig", terms)
        context = [c for c in map(_context_share, examples) if c is not None]
        metrics: dict[str, float | None] = {
            "explainability.entity_context_share": float(np.mean(context)) if context else None,
            "explainability.entity_sensitive_token_share": shares["any"],
            "explainability.entity_ig_convergence_delta": float(np.mean(deltas)) if deltas else None,
            "explainability.entities_explained": float(len(examples))}
        metrics.update({f"explainability.{a}.entity_sensitive_token_share": v
                        for a, v in shares.items() if a != "any"})
        details = {"n_explained": len(examples), "n_selected": n_chosen, "stopped_by_time_budget": stopped,
                   "terms": terms, "sensitive_share": shares, "kinds": _kind_counts(examples),
                   "context_words": mask_strings(_context_importance(examples, cfg.top_k)),
                   "examples": mask_strings(examples[:cfg.heatmap_examples])}
        return CheckResult(name=self.name, metrics=metrics, details=details,
                           findings=self._findings(shares, stopped, len(examples), n_chosen))

    def _findings(self, shares: dict[str, float | None], stopped: bool, done: int, chosen: int) -> list[Finding]:
        out = []
        if stopped:
            out.append(Finding("warn", MSG_TIME_BUDGET.format(done=done, chosen=chosen), source=self.name))
        share = shares.get("any")
        if share is not None and share > self.config.warn_share:
            top = max((a for a in shares if a != "any" and shares[a]), key=lambda a: shares[a] or 0, default=None)
            out.append(Finding("warn", MSG_SENSITIVE.format(share=share, top=f" (mostly {top})" if top else ""),
                               source=self.name))
        return out


def _context_share(example: dict[str, Any]) -> float | None:
    """Share of an explanation's |attribution| on words outside the entity's span (None if all scores are 0)."""
    scores = np.abs(np.asarray(example["scores"]))
    total = scores.sum()
    if total == 0:
        return None
    return float(1 - scores[example["start"]:example["end"]].sum() / total)


def _kind_counts(examples: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(x["kind"] == k for x in examples) for k in ("found", "spurious", "missed")}


def _context_importance(examples: list[dict[str, Any]], top_k: int) -> dict[str, list]:
    """Per entity type: the context words (outside the span) with the largest mean |attribution|."""
    types = sorted({x["type"] for x in examples})
    rows = [{"pred": types.index(x["type"]),
             "attributions": {"ig": [(w, s) for j, (w, s) in enumerate(zip(x["words"], x["scores"]))
                                     if not x["start"] <= j < x["end"]]}} for x in examples]
    return global_importance(rows, "ig", types, top_k)
