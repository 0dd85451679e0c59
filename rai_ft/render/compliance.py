"""compliance.html, drawn from compliance.json alone (it computes nothing)."""

from __future__ import annotations

from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

__all__ = ["render_compliance"]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return "n/a" if v is None else str(v)


def render_compliance(comp: dict[str, Any]) -> str:
    """The printable page for *comp* (a compliance.json document)."""
    env = Environment(loader=PackageLoader("rai_ft", "render/templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), undefined=ChainableUndefined)
    return env.get_template("compliance.html.j2").render(c=comp, fmt=_fmt)
