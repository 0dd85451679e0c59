"""model_card.md in Hugging Face format (YAML metadata + model-index), from audit.json alone."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader

from rai_ft.render.html import _fmt, _limit

__all__ = ["render_card", "BASE_MODEL_IDS"]

# Built-in model references -> their Hugging Face ids, for the card's base_model field.
BASE_MODEL_IDS = {"builtin:minilm": "sentence-transformers/all-MiniLM-L6-v2"}
_PERF_ROWS = (("accuracy", "performance.accuracy"), ("macro F1", "performance.macro_f1"),
              ("macro precision", "performance.macro_precision"), ("macro recall", "performance.macro_recall"),
              ("entity F1", "performance.entity_f1"), ("entity precision", "performance.entity_precision"),
              ("entity recall", "performance.entity_recall"), ("token accuracy", "performance.token_accuracy"))


def _md(text: Any) -> str:
    """Neutralise HTML and table pipes in data-derived text."""
    return re.sub(r"[<>|]", lambda m: {"<": "&lt;", ">": "&gt;", "|": "\\|"}[m.group()], str(text))


def _code(text: Any) -> str:
    """Text for inside a markdown code span (no backticks; HTML is not interpreted there)."""
    return str(text).replace("`", "'")


def _card_data(a: dict[str, Any]) -> Any:
    from huggingface_hub import EvalResult, ModelCardData

    base = BASE_MODEL_IDS.get(a["model"]["base"], a["model"]["base"])
    dataset = a["data"]["provenance"].get("source", "custom")
    task = a["spec"].get("task", "text-classification")
    results = [
        EvalResult(task_type=task, dataset_type=str(dataset), dataset_name=str(dataset),
                   dataset_split="test", metric_type=name.split(".")[-1], metric_name=label,
                   metric_value=round(float(a["metrics"][name]), 6))
        for label, name in _PERF_ROWS if a["metrics"].get(name) is not None
    ]
    method = a["model"]["method"]
    return ModelCardData(
        language=None if task == "image-classification" else "en",
        library_name="peft" if method in {"lora", "ia3", "prompt", "prefix", "adalora"} else (
            "pytorch" if task == "image-classification" else "transformers"),
        base_model=base if "/" in base and not base.startswith(("/", ".")) else None,
        datasets=[str(dataset)],
        metrics=["f1", "precision", "recall", "accuracy"] if task == "token-classification" else ["accuracy", "f1"],
        pipeline_tag=task,
        tags=["rai-ft", "audited", f"rai-ft-gate-{a['gate']['status']}", method],
        model_name=a["spec"]["name"],
        eval_results=results or None,
    )


def _default_use(audit: dict[str, Any]) -> str:
    """The intended-use line when the spec has no description."""
    labels = audit["data"]["labels"]
    if audit["spec"].get("task") == "token-classification":
        types = sorted({t.split("-", 1)[-1] for t in labels if t != "O"})
        what = f"Tagging entities of the types {', '.join(types)} in text like the training data"
    elif audit["spec"].get("task") == "image-classification":
        what = f"Classifying images like the training data into {', '.join(labels)}"
    else:
        what = f"Classifying text like the training data into {', '.join(labels)}"
    return f"{what}, as decision support reviewed by a person."


def _ok_details(audit: dict[str, Any], check: str) -> dict[str, Any] | None:
    c = audit["checks"].get(check)
    return c["details"] if c and c["status"] == "ok" else None


def _ok_check(audit: dict[str, Any], check: str) -> dict[str, Any] | None:
    c = audit["checks"].get(check)
    return c if c and c["status"] == "ok" and c.get("details") else None


def render_card(audit: dict[str, Any]) -> str:
    """The full model card text (front matter + markdown)."""
    from huggingface_hub import ModelCard

    env = Environment(loader=PackageLoader("rai_ft", "render/templates"), autoescape=False,
                      undefined=ChainableUndefined, keep_trailing_newline=True)
    env.filters["md"] = _md
    env.filters["code"] = _code
    fairness = audit["checks"].get("fairness")
    counts = {s: sum(r["status"] == s for r in audit["gate"]["results"]) for s in ("pass", "warn", "fail")}
    body = env.get_template("model_card.md.j2").render(
        a=audit, fmt=_fmt, limit=_limit, counts=counts,
        perf_rows=[(label, key) for label, key in _PERF_ROWS if key in audit["metrics"]],  # this task's rows
        verdict={"pass": "PASS", "warn": "PASS WITH WARNINGS", "fail": "FAIL"}[audit["gate"]["status"]],
        fairness=fairness if fairness and fairness["status"] == "ok" else None,
        findings=[f for f in audit["findings"] if f["severity"] != "info"],
        dp=audit["guards"].get("dp", {}).get("summary"),
        mia=(audit["checks"].get("privacy") or {}).get("details", {}).get("mia"),
        attribution=(audit["checks"].get("attribution") or {}).get("details") or None,
        robustness=_ok_details(audit, "robustness"),
        name_swap=_ok_details(audit, "name_swap"),
        entity_robustness=_ok_check(audit, "entity_robustness"),
        entity_attribution=_ok_details(audit, "entity_attribution"),
        intended_use=audit["spec"].get("description") or _default_use(audit),
    )
    card = ModelCard(f"---\n{_card_data(audit).to_yaml()}\n---\n\n{body}")
    return str(card)
