"""Check ``robustness``: attack the fine-tuned model on a seeded sample of test examples.

Runs an offline recipe (default DeepWordBug: character swaps/substitutions/deletions/insertions, greedy word
importance ranking, Levenshtein <= 30, no stopwords, no word changed twice) on our batched engine, or any recipe
through TextAttack (``engine: textattack``). Reports clean accuracy, accuracy under attack, attack success rate,
perturbed-word %, queries and skipped count, overall and per sensitive group, the most instructive successful
examples, and, when a baseline model or a previous run is available, robustness before vs after.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from rai_ft.checks.base import AuditContext, Check, CheckConfig, unmeasured_if_one_class
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample
from rai_ft.robustness.attack import AttackRun
from rai_ft.robustness.model_attack import attack_predictor
from rai_ft.robustness.recipes import Recipe, get_recipe
from rai_ft.robustness.summary import instructive, summarize

__all__ = ["RobustnessCheck", "RobustnessConfig", "MSG_NOT_COMPARABLE"]

MSG_NOT_COMPARABLE = "compare_with {run}: not comparable ({why}); before/after needs the same recipe, data and examples"

SUMMARY_METRICS = ("clean_accuracy", "accuracy_under_attack", "attack_success_rate", "avg_perturbed_words_pct",
                   "avg_queries")


class RobustnessConfig(CheckConfig):
    """Settings of the robustness check; recipe fields left unset keep the recipe's own values."""

    recipe: str = Field("deepwordbug", description="Offline: deepwordbug, pruthi, typo; others need downloads.")
    max_examples: int = Field(200, ge=1, le=100_000)
    time_budget_seconds: float = Field(900.0, gt=0, description="Stop cleanly after this long; report how many.")
    engine: Literal["rai", "textattack"] = "rai"
    transformations: list[str] | None = None
    max_edit_distance: int | None = Field(None, ge=1)
    max_words_perturbed: int | None = Field(None, ge=1)
    max_perturbed_fraction: float | None = Field(None, gt=0, le=1)
    min_word_length: int | None = Field(None, ge=1)
    batch_size: int = Field(128, ge=1, description="Texts per forward pass.")
    search_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="Guide the search with bfloat16 forward passes (auto: where the CPU has native bf16); "
                            "every reported outcome is confirmed in fp32.")
    seed: int = 0
    show_examples: int = Field(8, ge=0, le=100)
    compare_with: str | None = Field(None, description="A previous run directory to show before/after against.")

    @field_validator("recipe")
    @classmethod
    def _recipe_available(cls, v: str) -> str:
        get_recipe(v)  # unknown or offline-impossible recipes are refused when the policy is loaded
        return v

    def resolved_recipe(self) -> Recipe | str:
        """The recipe with this config's overrides (a TextAttack class name for download recipes)."""
        recipe = get_recipe(self.recipe)
        if isinstance(recipe, str):
            return recipe
        return recipe.with_overrides(transformations=self.transformations, max_edit_distance=self.max_edit_distance,
                                     max_words_perturbed=self.max_words_perturbed,
                                     max_perturbed_fraction=self.max_perturbed_fraction,
                                     min_word_length=self.min_word_length)


def _per_group(run: AttackRun, sensitive: Any) -> dict[str, list[dict[str, Any]]]:
    if sensitive is None or sensitive.shape[1] == 0:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for col in sensitive.columns:
        values = sensitive[col].astype(str).to_numpy()
        groups: dict[str, list] = {}
        for r in run.results:
            groups.setdefault(values[r.id], []).append(r)
        out[col] = sorted(({"group": g, **summarize(rs)} for g, rs in groups.items()), key=lambda x: -x["attacked"])
    return out


def _previous(path: str, recipe: dict[str, Any], ids: list[int], fingerprint: str | None) -> dict[str, Any]:
    """The robustness summary of a previous run, if it attacked the same examples with the same recipe."""
    p = Path(path)
    doc_path = p if p.suffix == ".json" else p / "audit.json"
    if not doc_path.is_file():
        raise ValueError(MSG_NOT_COMPARABLE.format(run=path, why="no audit.json there"))
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    prev = (doc.get("checks", {}).get("robustness") or {}).get("details") or {}
    why = ("it has no robustness results" if not prev else "another recipe" if prev.get("recipe") != recipe
           else "other data" if doc.get("data", {}).get("fingerprint") != fingerprint
           else "other examples" if prev.get("example_ids") != ids else None)
    if why:
        raise ValueError(MSG_NOT_COMPARABLE.format(run=path, why=why))
    return {"source": f"previous run {doc.get('run_id')}", "summary": prev["summary"]}


class RobustnessCheck(Check[RobustnessConfig]):
    """Attack-based robustness audit."""

    name = "robustness"
    config_model = RobustnessConfig
    presentation_settings = ("time_budget_seconds", "batch_size", "show_examples", "compare_with")
    metric_patterns = tuple(f"robustness.{m}" for m in SUMMARY_METRICS) + (
        "robustness.skipped", "robustness.worst_group_attack_success_rate", "robustness.baseline_attack_success_rate",
        "robustness.baseline_accuracy_under_attack", "robustness.attack_success_rate_reduction")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Attack the model (and the baseline, if any) on the same seeded examples."""
        cfg = self.config
        if ctx.predictor is None:
            return CheckResult(name=self.name, status="skipped", error="no model to attack")
        vacuous = unmeasured_if_one_class(self, ctx.predictions, "an attack success rate")
        if vacuous is not None:
            return vacuous
        recipe = cfg.resolved_recipe()
        engine = "textattack" if isinstance(recipe, str) else cfg.engine
        described = {"name": recipe, "engine": "textattack"} if isinstance(recipe, str) else recipe.describe()
        ids = sorted(order_free_sample(ctx.texts, cfg.max_examples, cfg.seed))  # the same texts in any row order
        texts = [ctx.texts[i] for i in ids]
        labels = [int(ctx.predictions.y_true[i]) for i in ids]
        progress = not ctx.quiet
        run = attack_predictor(ctx.predictor, texts, labels, recipe, engine=engine, batch_size=cfg.batch_size,
                               seed=cfg.seed, time_budget=cfg.time_budget_seconds, ids=ids, progress=progress,
                               search_precision=cfg.search_precision)
        summary = summarize(run.results)
        metrics: dict[str, float | None] = {f"robustness.{m}": summary[m] for m in SUMMARY_METRICS}
        metrics["robustness.skipped"] = float(summary["skipped"])
        groups = _per_group(run, ctx.sensitive)
        rates = [g["attack_success_rate"] for rows in groups.values() for g in rows
                 if g["attack_success_rate"] is not None and g["attacked"] >= 10]
        metrics["robustness.worst_group_attack_success_rate"] = max(rates) if rates else None
        findings: list[Finding] = []
        if run.stopped_by_time_budget:
            findings.append(Finding("warn", f"robustness: time budget of {cfg.time_budget_seconds:g}s reached; "
                                    f"{len(run.results)} of {len(ids)} examples attacked", source=self.name))
        comparison: dict[str, Any] | None = None
        if ctx.baseline is not None:
            text_of = dict(zip(ids, texts))
            base_run = attack_predictor(ctx.baseline, [text_of[r.id] for r in run.results],
                                        [r.label for r in run.results], recipe, engine=engine,
                                        batch_size=cfg.batch_size, seed=cfg.seed, ids=[r.id for r in run.results],
                                        progress=progress, desc="attack baseline",
                                        search_precision=cfg.search_precision)
            comparison = {"source": ctx.baseline_label or "baseline trained in this run",
                          "summary": summarize(base_run.results)}
        elif cfg.compare_with:
            try:
                comparison = _previous(cfg.compare_with, described, [r.id for r in run.results],
                                       ctx.data.fingerprint if ctx.data is not None else None)
            except ValueError as exc:
                findings.append(Finding("warn", str(exc), source=self.name))
        if comparison:
            before = comparison["summary"]
            metrics["robustness.baseline_attack_success_rate"] = before["attack_success_rate"]
            metrics["robustness.baseline_accuracy_under_attack"] = before["accuracy_under_attack"]
            if before["attack_success_rate"] is not None and summary["attack_success_rate"] is not None:
                metrics["robustness.attack_success_rate_reduction"] = (before["attack_success_rate"]
                                                                       - summary["attack_success_rate"])
        label_names = ctx.predictions.labels
        shown = [{**r.to_dict(), "label_name": label_names[r.label], "pred_after_name": label_names[r.pred_after]}
                 for r in instructive(run.results, cfg.show_examples)]
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details={
            "recipe": described, "recipe_line": recipe if isinstance(recipe, str) else recipe.one_line(),
            "engine": engine, "decision": ctx.predictor.description,
            "search": "bf16-guided search, every outcome confirmed in fp32" if run.guided else "fp32",
            "seed": cfg.seed, "summary": summary, "groups": groups, "examples": shown, "example_ids": ids,
            "requested": len(ids), "stopped_by_time_budget": run.stopped_by_time_budget,
            "attack_seconds": run.seconds, "model_calls": run.model_calls, "texts_scored": run.texts_scored,
            "comparison": comparison})
