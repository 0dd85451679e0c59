"""Check ``name_swap``: does a token classifier find a person as well whatever the person's name suggests?

Method (after Mishra, Mehta & Jha 2020, *Assessing Demographic Bias in Named Entity Recognition*, who substitute
names from demographic lists into entity slots and compare the recall of the person type per group): every test
sentence with at least one gold entity of ``entity_type`` (default ``person``) is rewritten once per name group,
each of its person spans replaced by one first name of that group (a single word tagged ``B-person``; a multi-word
span becomes one word and the other tags shift with it). The names are Bertrand & Mullainathan's (2004) table
(:mod:`rai_ft.fairness.names`: nine first names per perceived race and gender). Which names a sentence gets is keyed
by (seed, sentence text), and the same positions of every list are used, so the groups differ only by the names.

Every variant is tagged by the model in one batched pass; recall of the person type (exact span) is computed per
group over the variants. Metrics: the largest gap in recall between groups, with a percentile bootstrap interval
over sentences, each group's recall, and how many sentences were used. The gap pooled by perceived race and by
gender is in the details. Fewer than ``min_sentences`` usable sentences: no recall (None) and a warn finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.data.loading import TEXT
from rai_ft.fairness.names import NAMES, NAMES_CITATION
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample, text_key
from rai_ft.tasks.token_classification.data import TAGS, TOKENS
from rai_ft.tasks.token_classification.entities import CORRECT, TRUE, extract_entities, sentence_counts
from rai_ft.tasks.token_classification.perturb import Replacement, replace_entities
from rai_ft.tasks.token_classification.predictions import TokenPredictions

__all__ = ["NameSwapCheck", "NameSwapConfig", "GROUPS", "PARTITIONS", "METHOD_CITATION", "swap_names",
           "group_names", "MSG_NOT_TOKENS", "MSG_TOO_FEW", "MSG_GAP",
           "MSG_NONE_FOUND"]

METHOD_CITATION = ("Mishra, Mehta & Jha 2020, Assessing Demographic Bias in Named Entity Recognition, "
                   "AKBC Workshop on Bias in Automatic Knowledge Graph Construction")
MSG_NOT_TOKENS = "name_swap needs a token classifier's predictor and its test sentences; this run has neither"
MSG_TOO_FEW = ("only {n} test sentence(s) hold a gold {type!r} entity (name_swap needs {min}): insufficient "
               "evidence, recall by name group is not measured")
MSG_NONE_FOUND = ("the model finds no {type!r} entity in any name group's version of the {n} sentence(s): a recall "
                  "gap of 0 would mean nothing, so it is not measured")
MSG_GAP = ("{type!r} recall differs by {gap:.3f} across name groups (lowest {low} {low_recall:.3f}, highest {high} "
           "{high_recall:.3f}; warn_gap {warn_gap})")

# group key ("white_female") -> its names, in the table's order (position i of each list is aligned)
GROUPS: dict[str, tuple[str, ...]] = {f"{race}_{gender}": names for (race, gender), names in NAMES.items()}
# partition -> pool -> the groups pooled in it
PARTITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "groups": {g: (g,) for g in GROUPS},
    "race": {r: tuple(g for g in GROUPS if g.startswith(f"{r}_")) for r in dict.fromkeys(r for r, _ in NAMES)},
    "gender": {s: tuple(g for g in GROUPS if g.endswith(f"_{s}")) for s in dict.fromkeys(s for _, s in NAMES)},
}


class NameSwapConfig(CheckConfig):
    """Settings of the name-swap check."""

    entity_type: str = Field("person", min_length=1, description="The entity type names are swapped into.")
    max_sentences: int | None = Field(300, ge=1, description="Sentences used at most (a seeded order-free sample).")
    bootstrap: int = Field(1000, ge=0, le=100_000, description="Bootstrap resamples of sentences (0 = none).")
    confidence: float = Field(0.95, gt=0, lt=1)
    seed: int = 0
    min_sentences: int = Field(20, ge=1, description="Fewer sentences with the entity type: not measured.")
    warn_gap: float = Field(0.05, ge=0, le=1, description="A recall gap above this is a warn finding.")


def swap_names(tokens: Sequence[str], tags: Sequence[str], entity_type: str,
               names: Sequence[str]) -> tuple[list[str], list[str]]:
    """*tokens*/*tags* with the k-th gold *entity_type* span replaced by the single word ``names[k]`` (cycling),
    tagged ``B-<entity_type>``; every other word keeps its tag. A sentence without such a span comes back equal."""
    replacements: list[Replacement] = []
    for kind, _, _ in extract_entities(tags):
        k = sum(r is not None for r in replacements)
        replacements.append([names[k % len(names)]] if kind == entity_type else None)
    return replace_entities(tokens, tags, replacements)


def group_names(text: str, seed: int) -> dict[str, tuple[str, ...]]:
    """Per group, its names rotated to start at a position keyed by (seed, *text*): the same for every group."""
    start = text_key(text, seed) % min(len(n) for n in GROUPS.values())
    return {g: names[start:] + names[:start] for g, names in GROUPS.items()}


def _pooled_recall(counts: np.ndarray, pools: dict[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """Per pool, recall from *counts* (groups first, then any axes, the last is TRUE/PRED/CORRECT)."""
    index = {g: i for i, g in enumerate(GROUPS)}
    out = {}
    for pool, members in pools.items():
        summed = counts[[index[g] for g in members]].sum(axis=0)
        out[pool] = summed[..., CORRECT] / np.maximum(summed[..., TRUE], 1)
    return out


def _gap_interval(draws: np.ndarray, pools: dict[str, tuple[str, ...]], confidence: float) -> list[float] | None:
    """Percentile interval of the max - min recall gap over pools, from per-draw counts ``(groups, draws, 3)``."""
    if draws.shape[1] == 0:
        return None
    gaps = np.ptp(np.stack(list(_pooled_recall(draws, pools).values())), axis=0)
    alpha = (1 - confidence) / 2
    return [float(np.quantile(gaps, alpha)), float(np.quantile(gaps, 1 - alpha))]


def _partition(counts: np.ndarray, draws: np.ndarray, name: str, confidence: float) -> dict[str, Any]:
    """Recall per pool of one partition, its gap and the gap's bootstrap interval."""
    pools = PARTITIONS[name]
    recall = {p: float(r) for p, r in _pooled_recall(counts.sum(axis=1), pools).items()}
    return {"recall": recall, "gap": max(recall.values()) - min(recall.values()),
            "interval": _gap_interval(draws, pools, confidence)}


class NameSwapCheck(Check[NameSwapConfig]):
    """Recall of person entities with first names of each perceived race and gender swapped in."""

    name = "name_swap"
    config_model = NameSwapConfig
    metric_patterns = ("fairness.name_swap_recall_gap", "fairness.name_swap.{attr}.person_recall",
                       "fairness.name_swap_sentences")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Swap names into the sampled sentences, tag every variant in one pass, compare recall per group."""
        if ctx.data is None or ctx.predictor is None or not isinstance(ctx.predictions, TokenPredictions):
            return CheckResult(name=self.name, status="error", error=MSG_NOT_TOKENS)
        cfg, test, labels = self.config, ctx.data.test, ctx.data.labels
        gold = [[labels[i] for i in ids] for ids in test[TAGS]]
        candidates = [i for i, tags in enumerate(gold) if any(e[0] == cfg.entity_type for e in extract_entities(tags))]
        texts = test[TEXT].tolist()
        chosen = order_free_sample(texts, cfg.max_sentences, cfg.seed, among=candidates)
        base: dict[str, Any] = {"entity_type": cfg.entity_type, "n_candidates": len(candidates),
                                "n_sentences": len(chosen), "min_sentences": cfg.min_sentences,
                                "citation": NAMES_CITATION, "method": METHOD_CITATION,
                                "names": {g: list(n) for g, n in GROUPS.items()}}
        metrics: dict[str, float | None] = {"fairness.name_swap_recall_gap": None,
                                            "fairness.name_swap_sentences": float(len(chosen))}
        metrics.update({f"fairness.name_swap.{g}.person_recall": None for g in GROUPS})
        if len(chosen) < cfg.min_sentences:
            msg = MSG_TOO_FEW.format(n=len(chosen), type=cfg.entity_type, min=cfg.min_sentences)
            return CheckResult(name=self.name, metrics=metrics, findings=[Finding("warn", msg, source=self.name)],
                               details={**base, "measured": False})
        counts = self._counts(ctx.predictor, labels, [test[TOKENS].iloc[i] for i in chosen],
                              [gold[i] for i in chosen], [texts[i] for i in chosen])
        if not counts[..., CORRECT].sum():  # equal recall of 0 is no evidence of fairness: fail closed
            msg = MSG_NONE_FOUND.format(type=cfg.entity_type, n=len(chosen))
            return CheckResult(name=self.name, metrics=metrics, findings=[Finding("warn", msg, source=self.name)],
                               details={**base, "measured": False})
        return self._result(counts, metrics, base)

    def _counts(self, predictor: Any, labels: list[str], tokens: list[Sequence[str]], gold: list[list[str]],
                texts: list[str]) -> np.ndarray:
        """Per group and sentence, true/predicted/correct entities of the type: shape ``(groups, sentences, 3)``."""
        cfg = self.config
        variants: dict[str, list[tuple[list[str], list[str]]]] = {g: [] for g in GROUPS}
        for words, tags, text in zip(tokens, gold, texts):
            for g, names in group_names(text, cfg.seed).items():
                variants[g].append(swap_names(list(words), tags, cfg.entity_type, names))
        flat = [v for g in GROUPS for v in variants[g]]
        predicted = predictor.tags([w for w, _ in flat])
        pred_tags = [[labels[int(i)] for i in p] for p in predicted]
        n = len(tokens)
        return np.stack([sentence_counts([t for _, t in variants[g]], pred_tags[k * n:(k + 1) * n], cfg.entity_type)
                         for k, g in enumerate(GROUPS)])

    def _result(self, counts: np.ndarray, metrics: dict[str, float | None], base: dict[str, Any]) -> CheckResult:
        """Metrics, the interval, the finding and the details from the per-group counts."""
        cfg = self.config
        n = counts.shape[1]
        rng = np.random.default_rng(cfg.seed)
        idx = rng.integers(0, n, size=(cfg.bootstrap, n))
        draws = counts[:, idx].sum(axis=2)  # (groups, draws, 3)
        parts = {name: _partition(counts, draws, name, cfg.confidence) for name in PARTITIONS}
        recall, gap, interval = parts["groups"]["recall"], parts["groups"]["gap"], parts["groups"]["interval"]
        metrics["fairness.name_swap_recall_gap"] = gap
        metrics.update({f"fairness.name_swap.{g}.person_recall": r for g, r in recall.items()})
        findings = []
        if gap > cfg.warn_gap:
            low, high = min(recall, key=lambda g: recall[g]), max(recall, key=lambda g: recall[g])
            findings.append(Finding("warn", MSG_GAP.format(type=cfg.entity_type, gap=gap, low=low,
                                                           low_recall=recall[low], high=high,
                                                           high_recall=recall[high], warn_gap=cfg.warn_gap),
                                    source=self.name))
        totals = counts.sum(axis=1)
        groups = {g: {"recall": recall[g], "n_entities": int(totals[k, TRUE]), "n_found": int(totals[k, CORRECT])}
                  for k, g in enumerate(GROUPS)}
        details = {**base, "measured": True, "n_variants": int(n * len(GROUPS)), "groups": groups, "gap": gap,
                   "gap_interval": interval, "race": parts["race"], "gender": parts["gender"],
                   "bootstrap": cfg.bootstrap, "confidence": cfg.confidence}
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details,
                           metric_ci={"fairness.name_swap_recall_gap": interval} if interval else {})
