"""report.html: one self-contained page (inline CSS and SVG, no scripts, no network) from audit.json alone."""

from __future__ import annotations

from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

from rai_ft.explain.words import norm_word
from rai_ft.render import svg

__all__ = ["render_html", "KPIS"]

KPIS = (
    ("Test accuracy", "performance.accuracy"),
    ("Macro F1", "performance.macro_f1"),
    ("Entity F1", "performance.entity_f1"),
    ("Worst demographic-parity gap", "fairness.worst.demographic_parity_difference"),
    ("Worst equalized-odds gap", "fairness.worst.equalized_odds_difference"),
    ("Privacy ε", "privacy.epsilon"),
    ("Attack success rate", "robustness.attack_success_rate"),
    ("Membership-inference AUC", "privacy.mia_auc"),
    ("Attribution on identity terms", "explainability.sensitive_token_share"),
)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    return str(v)


def _limit(r: dict[str, Any]) -> str:
    parts = []
    if r.get("min") is not None:
        parts.append(f"≥ {r['min']:g}")
    if r.get("max") is not None:
        parts.append(f"≤ {r['max']:g}")
    return " and ".join(parts)


def _heat(score: float, peak: float) -> str:
    """Background colour for a word: orange towards the prediction, blue against (colour-blind-safe)."""
    alpha = 0.0 if not peak else min(1.0, abs(score) / peak) * 0.85
    rgb = "230,159,0" if score >= 0 else "86,180,233"
    return f"rgba({rgb},{alpha:.2f})"


def _maxabs(words: list) -> float:
    return max((abs(s) for _, s in words), default=0.0)


def _identity(audit: dict[str, Any]) -> set[str]:
    checks = [audit["checks"].get(name) or {} for name in ("attribution", "entity_attribution")]
    return {t.lower() for c in checks for terms in (c.get("details") or {}).get("terms", {}).values() for t in terms}


def _charts(a: dict[str, Any]) -> dict[str, Any]:
    charts: dict[str, Any] = {"groups": {}}
    perf = a["checks"].get("performance")
    if perf and perf["status"] == "ok":
        charts["confusion"] = svg.confusion_matrix(perf["details"]["labels"], perf["details"]["confusion_matrix"])
    fair = a["checks"].get("fairness")
    if fair and fair["status"] == "ok":
        for attr, t in fair["details"]["attributes"].items():
            rows = t["groups"]
            charts["groups"][attr] = svg.grouped_bars(
                [r["group"] for r in rows],
                {"selection rate": [r["selection_rate"] for r in rows], "TPR": [r["tpr"] for r in rows],
                 "FPR": [r["fpr"] for r in rows]},
                title=f"Group rates by {attr}", flagged=[not r["sufficient"] for r in rows])
    mi = a.get("mitigation")
    if mi and mi.get("before"):
        keys = [k for k in ("performance.accuracy", "fairness.worst.demographic_parity_difference",
                            "fairness.worst.equalized_odds_difference") if k in mi["after"]]
        charts["mitigation"] = svg.grouped_bars(
            [k.split(".")[-1].replace("_", " ") for k in keys],
            {"before": [mi["before"].get(k) for k in keys], "after": [mi["after"].get(k) for k in keys]},
            title="Before vs after mitigation")
    rob = a["checks"].get("robustness")
    if rob and rob["status"] == "ok" and rob["details"].get("comparison"):
        before, after = rob["details"]["comparison"]["summary"], rob["details"]["summary"]
        keys = ["clean_accuracy", "accuracy_under_attack", "attack_success_rate"]
        charts["robustness"] = svg.grouped_bars(
            [k.replace("_", " ") for k in keys],
            {"before": [before[k] for k in keys], "after": [after[k] for k in keys]},
            title="Robustness before vs after")
    tr = a.get("training")
    if tr:
        charts["loss"] = svg.line_chart({"train loss (per step)": tr.get("step_losses", [])},
                                        "Training loss", "optimizer step")
        hist = tr.get("history", [])
        charts["val"] = svg.line_chart({"val accuracy": [h.get("val_accuracy") for h in hist],
                                        "val macro-F1": [h.get("val_macro_f1") for h in hist]},
                                       "Validation metrics", "epoch")
    return charts


def render_html(audit: dict[str, Any]) -> str:
    """Render the report page for *audit* (a validated audit.json document)."""
    env = Environment(loader=PackageLoader("rai_ft", "render/templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), undefined=ChainableUndefined)
    findings = sorted(audit["findings"], key=lambda f: {"fail": 0, "warn": 1, "info": 2}[f["severity"]])
    counts = {s: sum(r["status"] == s for r in audit["gate"]["results"]) for s in ("pass", "warn", "fail")}
    return env.get_template("report.html.j2").render(
        a=audit, fmt=_fmt, limit=_limit, findings=findings, counts=counts, kpis=KPIS, charts=_charts(audit),
        heat=_heat, maxabs=_maxabs, identity=_identity(audit), norm=norm_word)
