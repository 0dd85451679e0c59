"""Compliance mapping on planted records: evidence present is met, evidence missing or out of bounds is not (named in
``missing``), what only a person can say is "needs human input" and never met, a reviewer's answer is shown and
"not applicable" is the reviewer's call; every name a framework cites exists in the registries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rai_ft.compliance.evaluate import DISCLAIMER, compliance_document, evaluate
from rai_ft.compliance.framework import (FRAMEWORKS, MSG_UNKNOWN_REQUIREMENT, Answer, Answers, Evidence, Framework,
                                         Requirement, load_answers, load_framework)
from rai_ft.errors import SpecError
from rai_ft.registry import CHECKS, GUARDS, metric_is_known


def _doc(**over: object) -> dict:
    doc = {"run_id": "r-1", "kind": "run", "created_at": "2026-12-06T00:00:00Z", "spec": {"name": "s", "task": "t"},
           "metrics": {"performance.accuracy": 0.9, "fairness.sex.demographic_parity_difference": 0.04,
                       "fairness.race.demographic_parity_difference": 0.12, "privacy.mia_auc": None},
           "checks": {"fairness": {"status": "ok"}, "privacy": {"status": "error"}},
           "guards": {"dp": {}}, "gate": {"status": "pass", "results": [{"status": "pass"}]},
           "data": {"files": [{"path": "d.csv", "sha256": "0" * 64}], "provenance": {"source": ""}},
           "integrity": {"content_sha256": "a" * 64}}
    doc.update(over)
    return doc


def _framework(*reqs: Requirement) -> Framework:
    return Framework(id="t", title="T", version="1", source="https://example.org", requirements=list(reqs))


def _req(rid: str, *evidence: Evidence, human: str | None = None) -> Requirement:
    return Requirement(id=rid, title=rid, paraphrase="p", evidence=list(evidence), human=human)


def _status(fw: Framework, doc: dict, answers: Answers | None = None) -> dict[str, str]:
    return {r["id"]: r["status"] for r in evaluate(doc, fw, answers)["requirements"]}


def test_statuses_follow_the_evidence() -> None:
    fw = _framework(
        _req("all", Evidence(check="fairness", what="w"), Evidence(guard=["deidentify", "dp"], what="w")),
        _req("some", Evidence(check="fairness", what="w"), Evidence(check="privacy", what="w")),
        _req("none", Evidence(check="robustness", what="w"), Evidence(field="data.provenance.source", what="w")),
        _req("human", human="who oversees it?"),
        _req("mixed", Evidence(check="fairness", what="w"), human="why is the data representative?"))
    assert _status(fw, _doc()) == {"all": "met", "some": "partly met", "none": "not met",
                                   "human": "needs human input", "mixed": "partly met"}


def test_metric_bounds_apply_to_every_match_and_unmeasured_is_missing() -> None:
    fw = _framework(_req("dp", Evidence(metric="fairness.*.demographic_parity_difference", max=0.1, what="gap")),
                    _req("mia", Evidence(metric="privacy.mia_auc", max=0.6, what="mia")),
                    _req("acc", Evidence(metric=["performance.entity_f1", "performance.accuracy"], min=0.8,
                                         what="acc")))
    rows = {r["id"]: r for r in evaluate(_doc(), fw)["requirements"]}
    assert rows["dp"]["status"] == "not met"
    assert rows["dp"]["missing"] == ["gap: outside ≤ 0.1: fairness.race.demographic_parity_difference"]
    assert rows["mia"]["status"] == "not met" and "unmeasured (null)" in rows["mia"]["missing"][0]
    assert rows["acc"]["status"] == "met" and rows["acc"]["evidence"][0]["value"] == {"performance.accuracy": 0.9}
    assert rows["acc"]["evidence"][0]["where"] == ["metrics.performance.accuracy"]
    fixed = _doc(metrics={**_doc()["metrics"], "fairness.race.demographic_parity_difference": 0.05})
    assert _status(fw, fixed)["dp"] == "met"  # the clean twin


def test_a_gate_with_no_thresholds_is_no_evidence() -> None:
    fw = _framework(_req("g", Evidence(gate="passed", what="gate")))
    assert _status(fw, _doc())["g"] == "met"
    assert _status(fw, _doc(gate={"status": "pass", "results": []}))["g"] == "not met"
    assert _status(fw, _doc(gate={"status": "fail", "results": [{"status": "fail"}]}))["g"] == "not met"


def test_human_input_is_shown_never_met_and_not_applicable_is_the_reviewers_call() -> None:
    fw = _framework(_req("human", human="q?"), _req("mixed", Evidence(check="fairness", what="w"), human="q?"),
                    _req("na", human="q?"))
    answers = Answers(reviewer="Jane", date="2026-12-06", answers={"t": {
        "human": Answer(statement="Operators can override."), "mixed": Answer(statement="It is."),
        "na": Answer(statement="No human subjects.", not_applicable=True)}})
    rows = {r["id"]: r for r in evaluate(_doc(), fw, answers)["requirements"]}
    assert rows["human"]["status"] == "needs human input"
    assert rows["human"]["human_input"]["statement"] == "Operators can override."
    assert rows["mixed"]["status"] == "met" and rows["na"]["status"] == "not applicable"
    assert all(not r["missing"] for r in rows.values())


def test_the_document_names_the_run_and_says_it_is_not_legal_advice() -> None:
    comp = compliance_document(_doc(), [load_framework("eu-ai-act")])
    assert comp["disclaimer"] == DISCLAIMER and "not legal advice" in DISCLAIMER
    assert comp["run"]["content_sha256"] == "a" * 64 and comp["frameworks"][0]["framework"]["id"] == "eu-ai-act"
    assert sum(comp["frameworks"][0]["summary"].values()) == len(load_framework("eu-ai-act").requirements)
    json.dumps(comp, allow_nan=False)


def _known_field(path: str) -> bool:
    schema = json.loads((Path(__file__).resolve().parents[2] / "rai_ft/schema/audit.schema.json").read_text())
    node = schema
    for part in path.split("."):
        props = node.get("properties") or {}
        if part not in props:
            return bool(node.get("additionalProperties", True)) or node.get("type") != "object"
        node = props[part]
    return True


@pytest.mark.parametrize("name", list(FRAMEWORKS))
def test_every_framework_cites_only_checks_guards_metrics_and_fields_that_exist(name: str) -> None:
    fw = load_framework(name)
    for req in fw.requirements:
        for ev in req.evidence:
            for n in ev.names:
                if ev.kind == "check":
                    assert n in CHECKS, (req.id, n)
                elif ev.kind == "guard":
                    assert n in GUARDS, (req.id, n)
                elif ev.kind == "metric":
                    assert metric_is_known(n.replace("*", "sex")), (req.id, n)
                elif ev.kind == "field":
                    assert _known_field(n), (req.id, n)
    assert len({r.id for r in fw.requirements}) == len(fw.requirements)


def test_an_answer_for_an_unknown_requirement_is_refused_with_its_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("reviewer: J\ndate: 2026-12-06\nanswers:\n  eu-ai-act:\n    Art. 99: {statement: x}\n")
    ids = ", ".join(r.id for r in load_framework("eu-ai-act").requirements)
    with pytest.raises(SpecError, match=MSG_UNKNOWN_REQUIREMENT.format(id="Art. 99", framework="eu-ai-act",
                                                                       available=ids).replace("(", r"\(")
                       .replace(")", r"\)").replace(".", r"\.")) as err:
        load_answers(path)
    assert err.value.file == str(path) and err.value.field == "answers.eu-ai-act.Art. 99"
    path.write_text("reviewer: J\ndate: 2026-12-06\nanswerz: {}\n")
    with pytest.raises(SpecError, match="answerz"):
        load_answers(path)
