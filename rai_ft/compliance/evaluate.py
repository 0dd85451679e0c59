"""Map a run's audit.json onto a framework's requirements: ``compliance.json``, drawn from audit.json alone.

Per requirement, each evidence item is looked up in the record (its value and where it sits) and marked satisfied or
not, with why. Status:

* ``met``: every evidence item satisfied, and the reviewer answered the requirement's question if it has one;
* ``partly met``: some satisfied (or all, with the reviewer's question unanswered);
* ``not met``: none satisfied;
* ``needs human input``: the requirement has no evidence an audit can hold (oversight, monitoring); a reviewer's
  statement is shown beside it, and it is never marked met;
* ``not applicable``: the reviewer stated so, with a reason.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from rai_ft import __version__
from rai_ft.compliance.framework import Answers, Evidence, Framework, Requirement

__all__ = ["evaluate", "compliance_document", "DISCLAIMER", "STATUSES"]

DISCLAIMER = ("This report maps the evidence in one rai-ft audit onto the framework's requirements. It is not legal "
              "advice and not a conformity assessment: whether a requirement is met is for the people accountable "
              "for the system to decide.")
STATUSES = ("met", "partly met", "not met", "needs human input", "not applicable")


def _lookup(doc: dict[str, Any], path: str) -> tuple[bool, Any]:
    """The value at dotted *path* in *doc* (found, value)."""
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _brief(value: Any) -> Any:
    """A value short enough to show: numbers and short strings as they are, containers by their size."""
    if isinstance(value, dict):
        return f"{len(value)} entries"
    if isinstance(value, list):
        return f"{len(value)} items"
    if isinstance(value, str) and len(value) > 80:
        return value[:77] + "…"
    return value


def _metric(ev: Evidence, doc: dict[str, Any]) -> dict[str, Any]:
    metrics = doc.get("metrics") or {}
    found = {k: v for k, v in metrics.items() if any(fnmatch.fnmatchcase(k, p) for p in ev.names)}
    measured = {k: v for k, v in found.items() if isinstance(v, (int, float)) and v == v}
    if not measured:
        why = "not measured in this run" if not found else "unmeasured (null) in this run"
        return {"satisfied": False, "missing": why, "where": [f"metrics.{k}" for k in found]}
    outside = [k for k, v in measured.items() if (ev.min is not None and v < ev.min)
               or (ev.max is not None and v > ev.max)]
    bound = " and ".join(s for s in (f"≥ {ev.min:g}" if ev.min is not None else "",
                                     f"≤ {ev.max:g}" if ev.max is not None else "") if s)
    return {"satisfied": not outside, "value": {k: measured[k] for k in sorted(measured)},
            "where": [f"metrics.{k}" for k in sorted(measured)], "threshold": bound or None,
            "missing": f"outside {bound}: {', '.join(sorted(outside))}" if outside else None}


def _named(ev: Evidence, doc: dict[str, Any]) -> dict[str, Any]:
    section = "checks" if ev.kind == "check" else "guards"
    have = doc.get(section) or {}
    ran = [n for n in ev.names if n in have and (section == "guards" or have[n].get("status") == "ok")]
    if ran:
        return {"satisfied": True, "value": ", ".join(ran), "where": [f"{section}.{n}" for n in ran]}
    errored = [n for n in ev.names if n in have]
    why = (f"{', '.join(errored)} did not complete" if errored else
           f"no {ev.kind} of {', '.join(ev.names)} in this run")
    return {"satisfied": False, "missing": why, "where": []}


def _gate(doc: dict[str, Any]) -> dict[str, Any]:
    """Passed (or warned) on at least one threshold: a gate with no thresholds shows nothing."""
    gate = doc.get("gate") or {}
    status, n = gate.get("status"), len(gate.get("results") or [])
    ok = status in ("pass", "warn") and n > 0
    why = None if ok else ("the policy sets no thresholds" if not n else f"the gate's status is {status!r}")
    return {"satisfied": ok, "value": f"{status} on {n} threshold(s)", "where": ["gate.status", "gate.results"],
            "missing": why}


def _evidence(ev: Evidence, doc: dict[str, Any]) -> dict[str, Any]:
    """One evidence item looked up in the record."""
    base = {"kind": ev.kind, "names": ev.names, "what": ev.what}
    if ev.kind == "metric":
        return {**base, **_metric(ev, doc)}
    if ev.kind in ("check", "guard"):
        return {**base, **_named(ev, doc)}
    if ev.kind == "gate":
        return {**base, **_gate(doc)}
    found, value = _lookup(doc, ev.names[0])
    ok = found and _present(value)
    return {**base, "satisfied": ok, "value": _brief(value) if ok else None, "where": [ev.names[0]] if found else [],
            "missing": None if ok else f"{ev.names[0]} is {'empty' if found else 'not in the record'}"}


def _status(req: Requirement, items: list[dict[str, Any]], answered: bool) -> str:
    if not items:
        return "needs human input"
    hits = sum(i["satisfied"] for i in items)
    if hits == len(items):
        return "met" if answered or not req.human else "partly met"
    return "partly met" if hits else "not met"


def _requirement(req: Requirement, doc: dict[str, Any], answers: Answers | None, fid: str) -> dict[str, Any]:
    answer = answers.for_framework(fid).get(req.id) if answers else None
    items = [_evidence(ev, doc) for ev in req.evidence]
    status = "not applicable" if answer and answer.not_applicable else _status(req, items, answer is not None)
    missing = [f"{i['what']}: {i['missing']}" for i in items if not i["satisfied"]]
    if req.human and answer is None:
        missing.append(f"a reviewer's statement: {req.human}")
    return {"id": req.id, "title": req.title, "paraphrase": req.paraphrase, "status": status, "evidence": items,
            "missing": missing, "question": req.human,
            "human_input": None if answer is None else {"statement": answer.statement,
                                                        "not_applicable": answer.not_applicable,
                                                        "reviewer": answers.reviewer if answers else None,
                                                        "date": answers.date if answers else None}}


def evaluate(doc: dict[str, Any], framework: Framework, answers: Answers | None = None) -> dict[str, Any]:
    """One framework's requirements with the run's evidence, from *doc* (audit.json) alone."""
    rows = [_requirement(r, doc, answers, framework.id) for r in framework.requirements]
    return {"framework": {"id": framework.id, "title": framework.title, "version": framework.version,
                          "source": framework.source},
            "summary": {s: sum(r["status"] == s for r in rows) for s in STATUSES},
            "requirements": rows}


def compliance_document(doc: dict[str, Any], frameworks: list[Framework],
                        answers: Answers | None = None) -> dict[str, Any]:
    """``compliance.json``: the run, the disclaimer, and each framework evaluated."""
    integrity = doc.get("integrity") or {}
    spec = doc.get("spec") or {}
    return {"kind": "compliance", "generated_by": f"rai-ft {__version__}", "disclaimer": DISCLAIMER,
            "run": {"run_id": doc.get("run_id"), "kind": doc.get("kind"), "created_at": doc.get("created_at"),
                    "task": spec.get("task"), "spec": spec.get("name"),
                    "content_sha256": integrity.get("content_sha256"), "gate": (doc.get("gate") or {}).get("status")},
            "reviewer": {"name": answers.reviewer, "date": answers.date} if answers else None,
            "frameworks": [evaluate(doc, f, answers) for f in frameworks]}
