"""Check ``entity_robustness``: how much entity F1 a token classifier loses to typos in entity and context words.

On an order-free sample of test sentences, a seeded share of words gets one character edit each (neighbouring-key
typo, swap, deletion, insertion by default; see :mod:`rai_ft.tasks.token_classification.perturb` for why only
character edits keep the tags valid). Three perturbed copies: (a) entity words only, (b) context (``O``) words
only, (c) both. Tags never change. ``robustness.entity_f1_drop`` = clean entity F1 − F1 on (c) (positive = worse
under noise), with a paired percentile bootstrap over sentences; the (a) and (b) drops say where the model is
fragile: its memory of entity spellings, or the context it reads them from.

Word level (``entity_swap``, on by default): every gold entity of the sample is replaced by another entity of its
type that the training split never holds (drawn from the validation and test splits' entities, seeded per
sentence), tagged again ``B-X I-X ...``; ``robustness.entity_swap_f1_drop`` = clean F1 − F1 on the swapped
sentences, with its paired interval. A tagger that reads its context keeps finding the new names; one that learnt
a list of names does not (RockNER's entity-level attack, Lin et al. 2021).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, field_validator

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.config.loading import MSG_UNKNOWN_NAMES, known_names
from rai_ft.privacy.pii import mask_strings
from rai_ft.results import CheckResult, Finding
from rai_ft.robustness.transforms import TRANSFORMS
from rai_ft.sampling import order_free_sample
from rai_ft.tasks.token_classification.data import TOKENS, sentences_of
from rai_ft.tasks.token_classification.entities import CORRECT, PRED, TRUE, extract_entities, prf, sentence_counts
from rai_ft.tasks.token_classification.perturb import (KINDS, Kind, draw_replacements, entity_pool, perturb,
                                                       plan_edits, replace_entities)
from rai_ft.tasks.token_classification.predictions import TokenPredictions

__all__ = ["EntityRobustnessCheck", "EntityRobustnessConfig", "MSG_NOT_TOKENS", "MSG_NO_GOLD_ENTITY",
           "MSG_NONE_FOUND", "MSG_DROP", "MSG_SWAP_DROP", "MSG_NO_SWAP", "MSG_UNKNOWN_TRANSFORM",
           "paired_drop_interval"]

MSG_NOT_TOKENS = "entity_robustness reads token predictions and a token predictor; this run has neither"
MSG_NO_GOLD_ENTITY = ("entity_robustness: the {n} sampled test sentence(s) hold no gold entity; entity F1 under "
                      "perturbation cannot be measured")
MSG_NONE_FOUND = ("entity_robustness: the model finds no entity correctly in the {n} clean sampled sentence(s); "
                  "a drop of 0 would mean nothing, so robustness is not measured")
MSG_DROP = ("entity F1 drops by {drop:.3f} (from {clean:.3f} to {perturbed:.3f}) when {pct:.0%} of words carry a "
            "typo; above warn_drop {warn:.3f}")
MSG_SWAP_DROP = ("entity F1 drops by {drop:.3f} (from {clean:.3f} to {swapped:.3f}) when each entity is replaced by "
                 "an unseen one of its type; above warn_swap_drop {warn:.3f}")
MSG_NO_SWAP = ("entity_swap: no sampled entity has an unseen replacement of its type (the validation and test "
               "splits hold no entity the training split lacks); the swap drop is not measured")
MSG_UNKNOWN_TRANSFORM = MSG_UNKNOWN_NAMES.replace("{what}", "transformation(s)")  # known_names says it

PREFIX = "robustness.entity_f1"
SWAP = "robustness.entity_swap_f1"
SUFFIX: dict[Kind, str] = {"all": "", "entity": "_entities", "context": "_context"}


class EntityRobustnessConfig(CheckConfig):
    """Settings of the entity robustness check."""

    perturb_fraction: float = Field(0.3, gt=0, le=1, description="Chance that each eligible word of the kind "
                                                                 "perturbed gets one edit.")
    transformations: list[str] = Field(["qwerty", "swap", "delete", "insert"], min_length=1,
                                       description="Character edits from rai_ft.robustness.transforms.")
    max_sentences: int = Field(300, ge=1, le=100_000)
    bootstrap: int = Field(1000, ge=0, le=100_000, description="Paired bootstrap resamples of sentences (0 = none).")
    confidence: float = Field(0.95, gt=0, lt=1)
    seed: int = 0
    warn_drop: float = Field(0.10, ge=0, le=1)
    entity_swap: bool = Field(True, description="Also replace each entity by an unseen one of its type.")
    warn_swap_drop: float = Field(0.10, ge=0, le=1)
    examples: int = Field(5, ge=0, le=100)

    @field_validator("transformations")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return known_names(v, TRANSFORMS, "transformation(s)")


def _f1(counts: np.ndarray) -> float:
    """Micro entity F1 of summed :func:`sentence_counts` rows."""
    total = counts.sum(axis=0)
    return prf(total[TRUE], total[PRED], total[CORRECT])[2]


def paired_drop_interval(clean: np.ndarray, perturbed: np.ndarray, n_boot: int, confidence: float,
                         seed: int) -> list[float] | None:
    """Percentile bootstrap interval of F1(clean) − F1(perturbed), resampling the same sentences for both."""
    if n_boot == 0 or len(clean) == 0:
        return None
    idx = np.random.default_rng(seed).integers(0, len(clean), size=(n_boot, len(clean)))
    drops = np.array([_f1(clean[i]) - _f1(perturbed[i]) for i in idx])
    alpha = (1 - confidence) / 2
    return [float(np.quantile(drops, alpha)), float(np.quantile(drops, 1 - alpha))]


def _entities(words: list[str], tags: list[str]) -> list[dict[str, Any]]:
    return [{"type": t, "start": s, "end": e, "text": " ".join(words[s:e])} for t, s, e in extract_entities(tags)]


class EntityRobustnessCheck(Check[EntityRobustnessConfig]):
    """Entity F1 on clean vs typo-perturbed test sentences: entity words, context words, and both."""

    name = "entity_robustness"
    config_model = EntityRobustnessConfig
    metric_patterns = tuple(f"{PREFIX}_drop{s}" for s in SUFFIX.values()) + (f"{PREFIX}_clean",
                                                                             f"{PREFIX}_perturbed",
                                                                             f"{SWAP}_drop", SWAP)
    presentation_settings = ("examples",)

    def run(self, ctx: AuditContext) -> CheckResult:
        """Perturb the sampled sentences three ways, tag them again and compare entity F1."""
        pred = ctx.predictions
        if not isinstance(pred, TokenPredictions) or ctx.predictor is None or ctx.data is None:
            return CheckResult(name=self.name, status="error", error=MSG_NOT_TOKENS)
        cfg = self.config
        words_all = [list(w) for w in ctx.data.test[TOKENS]]
        ids = order_free_sample([" ".join(w) for w in words_all], cfg.max_sentences, cfg.seed)
        words = [words_all[i] for i in ids]
        gold_all, found_all = pred.sentences("true"), pred.sentences("pred")
        gold, clean = [gold_all[i] for i in ids], [found_all[i] for i in ids]
        noisy, changed = self._perturbed(words, gold)
        labels = pred.labels  # the data's tag order, which the predictor returns
        tagger: Any = ctx.predictor  # a TokenPredictor (or a guard's wrapper with the same .tags)
        tagged = tagger.tags([s for k in KINDS for s in noisy[k]])
        found = {k: [[labels[int(t)] for t in tagged[j * len(ids) + n]] for n in range(len(ids))]
                 for j, k in enumerate(KINDS)}
        details: dict[str, Any] = {"n_sentences": len(ids), "n_words": sum(len(w) for w in words),
                                   "words_perturbed": {k: sum(len(c) for c in changed[k]) for k in KINDS}}
        counts = sentence_counts(gold, clean)
        if not counts[:, TRUE].sum() or not counts[:, CORRECT].sum():  # nothing to lose: a drop of 0 means nothing
            msg = (MSG_NO_GOLD_ENTITY if not counts[:, TRUE].sum() else MSG_NONE_FOUND).format(n=len(ids))
            return CheckResult(name=self.name, metrics=dict.fromkeys(self.metric_patterns), details=details,
                               findings=[Finding("warn", msg, source=self.name)])
        result = self._scored(counts, {k: sentence_counts(gold, found[k]) for k in KINDS}, details,
                              self._examples(words, gold, clean, noisy["all"], found["all"], changed["all"]))
        if cfg.entity_swap:
            self._swap(ctx, result, words, gold, counts)
        return result

    def _swap(self, ctx: AuditContext, result: CheckResult, words: list[list[str]], gold: list[list[str]],
              clean: np.ndarray) -> None:
        """Replace every sampled gold entity by an unseen one of its type; add the swap metrics to *result*."""
        cfg, data = self.config, ctx.data
        assert data is not None
        labels = ctx.predictions.labels

        def tagged(frame: Any) -> list[tuple[list[str], list[str]]]:
            return list(zip([list(w) for w in frame[TOKENS]], sentences_of(frame, data.labels)))

        seen = {" ".join(w[s:e]) for w, g in tagged(data.train) for _, s, e in extract_entities(g)}
        pool = entity_pool(tagged(data.validation) + tagged(data.test), exclude=seen)
        plans = [draw_replacements(w, g, pool, cfg.seed) for w, g in zip(words, gold)]
        swapped = [replace_entities(w, g, p) for w, g, p in zip(words, gold, plans)]
        n_swapped = sum(r is not None for p in plans for r in p)
        result.metrics.update({f"{SWAP}_drop": None, SWAP: None})
        result.details["swap"] = {"swapped": n_swapped, "kept": sum(r is None for p in plans for r in p),
                                  "pool": {k: len(v) for k, v in pool.items()}, "seen_in_train": len(seen)}
        if not n_swapped:
            result.findings.append(Finding("warn", MSG_NO_SWAP, source=self.name))
            return
        tagger: Any = ctx.predictor
        found = [[labels[int(t)] for t in s] for s in tagger.tags([w for w, _ in swapped])]
        counts = sentence_counts([g for _, g in swapped], found)
        f1_clean, f1_swap = _f1(clean), _f1(counts)
        result.metrics.update({f"{SWAP}_drop": f1_clean - f1_swap, SWAP: f1_swap})
        interval = paired_drop_interval(clean, counts, cfg.bootstrap, cfg.confidence, cfg.seed)
        if interval:
            result.metric_ci[f"{SWAP}_drop"] = interval
        result.details["swap"].update(drop_interval=interval, examples=mask_strings(self._swap_examples(
            words, gold, swapped, found)))
        if f1_clean - f1_swap > cfg.warn_swap_drop:
            result.findings.append(Finding("warn", MSG_SWAP_DROP.format(drop=f1_clean - f1_swap, clean=f1_clean,
                                                                        swapped=f1_swap, warn=cfg.warn_swap_drop),
                                           source=self.name))

    def _swap_examples(self, words: list[list[str]], gold: list[list[str]],
                       swapped: list[tuple[list[str], list[str]]], found: list[list[str]]) -> list[dict[str, Any]]:
        """Up to ``examples`` swapped sentences, those where the model missed a swapped-in entity first."""
        changed = [i for i in range(len(words)) if swapped[i][0] != words[i]]
        missed = [i for i in changed if set(extract_entities(swapped[i][1])) - set(extract_entities(found[i]))]
        chosen = (missed + [i for i in changed if i not in set(missed)])[:self.config.examples]
        return [{"words": words[i], "swapped_words": swapped[i][0], "gold": _entities(words[i], gold[i]),
                 "swapped_gold": _entities(*swapped[i]), "predicted_swapped": _entities(swapped[i][0], found[i])}
                for i in chosen]

    def _perturbed(self, words: list[list[str]],
                   gold: list[list[str]]) -> tuple[dict[Kind, list[list[str]]], dict[Kind, list[list[int]]]]:
        """Each sentence perturbed three ways (same plan), and the positions changed."""
        cfg = self.config
        noisy: dict[Kind, list[list[str]]] = {k: [] for k in KINDS}
        changed: dict[Kind, list[list[int]]] = {k: [] for k in KINDS}
        for w, g in zip(words, gold):
            plan = plan_edits(w, cfg.transformations, cfg.seed)
            for k in KINDS:
                new, where = perturb(w, g, plan, cfg.perturb_fraction, k)
                noisy[k].append(new)
                changed[k].append(where)
        return noisy, changed

    def _scored(self, clean: np.ndarray, noisy: dict[Kind, np.ndarray], details: dict[str, Any],
                examples: list[dict[str, Any]]) -> CheckResult:
        """Metrics, interval and findings from per-sentence entity counts."""
        cfg = self.config
        f1_clean = _f1(clean)
        metrics: dict[str, float | None] = {f"{PREFIX}_drop{SUFFIX[k]}": f1_clean - _f1(noisy[k]) for k in KINDS}
        metrics[f"{PREFIX}_clean"], metrics[f"{PREFIX}_perturbed"] = f1_clean, _f1(noisy["all"])
        interval = paired_drop_interval(clean, noisy["all"], cfg.bootstrap, cfg.confidence, cfg.seed)
        drop = float(metrics[f"{PREFIX}_drop"] or 0.0)
        findings = [Finding("warn", MSG_DROP.format(drop=drop, clean=f1_clean, perturbed=_f1(noisy["all"]),
                                                    pct=cfg.perturb_fraction, warn=cfg.warn_drop), source=self.name)
                    ] if drop > cfg.warn_drop else []
        details.update(drop_interval=interval, n_true=int(clean[:, TRUE].sum()),
                       f1_by_kind={k: _f1(noisy[k]) for k in KINDS}, examples=mask_strings(examples))
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details,
                           metric_ci={f"{PREFIX}_drop": interval} if interval else {})

    def _examples(self, words: list[list[str]], gold: list[list[str]], clean: list[list[str]],
                  noisy: list[list[str]], found: list[list[str]], changed: list[list[int]]) -> list[dict[str, Any]]:
        """Up to ``examples`` distinct perturbed sentences: those whose predicted entities changed, then those holding
        a gold entity, then the rest (sample order within each)."""
        first: dict[tuple[str, ...], int] = {}
        for i in range(len(words)):
            if changed[i]:
                first.setdefault(tuple(noisy[i]), i)
        touched = list(first.values())
        flipped = {i for i in touched if extract_entities(clean[i]) != extract_entities(found[i])}
        # predictions changed first, then sentences with a gold entity, then the rest; sample order within each
        chosen = sorted(touched, key=lambda i: (i not in flipped, not extract_entities(gold[i])))[:self.config.examples]
        return [{"words": words[i], "perturbed_words": noisy[i], "perturbed_positions": changed[i],
                 "gold": _entities(words[i], gold[i]), "predicted_clean": _entities(words[i], clean[i]),
                 "predicted_perturbed": _entities(noisy[i], found[i])} for i in chosen]
