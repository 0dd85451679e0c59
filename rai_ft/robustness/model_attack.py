"""Attack a :class:`~rai_ft.modeling.predictor.Predictor`: the shared entry point of the robustness check and the
adversarial guard.

The attack reads the predictor's *decision scores*: probabilities for a plain model, margins to the row's decision
boundary for a post-processed one. So an attack succeeds exactly when the deployed decision changes. Rows with
different decision rules (e.g. groups with their own thresholds) are attacked in separate passes and merged back
into the order asked for.
"""

from __future__ import annotations

from typing import Any

from rai_ft.modeling.inference import use_bf16
from rai_ft.robustness.attack import AttackRun, run_attack
from rai_ft.robustness.recipes import Recipe

__all__ = ["attack_predictor", "merge_runs"]


def merge_runs(runs: list[AttackRun], ids: list[int]) -> AttackRun:
    """One run from the runs of several row groups, results in the order of *ids*."""
    out = AttackRun(requested=sum(r.requested for r in runs), guided=any(r.guided for r in runs))
    rank = {v: k for k, v in enumerate(ids)}
    out.results = sorted((res for r in runs for res in r.results), key=lambda res: rank[res.id])
    out.stopped_by_time_budget = any(r.stopped_by_time_budget for r in runs)
    out.seconds = round(sum(r.seconds for r in runs), 3)
    out.model_calls = sum(r.model_calls for r in runs)
    out.texts_scored = sum(r.texts_scored for r in runs)
    return out


def attack_predictor(predictor: Any, texts: list[str], labels: list[int], recipe: Recipe | str, *,
                     engine: str = "rai", batch_size: int = 128, seed: int = 0, time_budget: float | None = None,
                     ids: list[int] | None = None, progress: bool = True, desc: str = "attack",
                     search_precision: str = "auto") -> AttackRun:
    """Attack *predictor* on (texts, labels) with *recipe*; ``ids`` are the texts' rows (seeds and post-processing).

    ``search_precision`` bf16 (or auto on a CPU with native bf16) guides our engine's search with bfloat16 forward
    passes; skips, successes and final texts are still decided in fp32 (see :func:`run_attack`).
    """
    ids = list(range(len(texts))) if ids is None else list(ids)
    where = {row: j for j, row in enumerate(ids)}
    guided = use_bf16(search_precision) and engine == "rai" and not isinstance(recipe, str)
    runs, spent = [], 0.0
    for rows, score in predictor.scorers(ids, batch_size=batch_size):
        part = [where[int(r)] for r in rows]
        sub_texts, sub_labels, sub_ids = [texts[j] for j in part], [labels[j] for j in part], [ids[j] for j in part]
        left = None if time_budget is None else max(0.0, time_budget - spent)
        if engine == "textattack" or isinstance(recipe, str):
            from rai_ft.robustness.ta_engine import textattack_attack

            run = textattack_attack(sub_texts, sub_labels, score, recipe, seed=seed, ids=sub_ids, progress=progress)
        else:
            # these rows share one decision rule, so the bf16 guide is a single scorer too
            guide = predictor.scorers(sub_ids, bf16=True, batch_size=batch_size)[0][1] if guided else None
            run = run_attack(sub_texts, sub_labels, score, recipe, seed=seed,
                             unk_token=predictor.tokenizer.unk_token or "[UNK]", time_budget=left, ids=sub_ids,
                             progress=progress, desc=desc, search_predict=guide)
        runs.append(run)
        spent += run.seconds
    return merge_runs(runs, ids)
