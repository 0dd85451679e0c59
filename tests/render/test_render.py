"""report.html and model_card.md: drawn from audit.json, self-contained, every data string escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rai_ft.cli import main
from tests.conftest import run_dirs, make_sentiment_frame, spec_dict, write_yaml

EVIL = '<script>alert("x")</script>'


@pytest.fixture()
def hostile_run(tmp_path, tiny_model_dir, capsys) -> Path:
    """A run whose group names and labels are HTML."""
    frame = make_sentiment_frame(160, groups=(EVIL, "<img src=x onerror=alert(1)>"))
    frame["label"] = frame["label"].map({"pos": "<b>pos</b>", "neg": "neg|pipe"})
    csv = tmp_path / "evil.csv"
    frame.to_csv(csv, index=False)
    policy = write_yaml(tmp_path / "p.yaml", {"name": "p<i>", "checks": {"fairness": {"min_group_size": 3}},
                                              "thresholds": [{"metric": "performance.accuracy", "min": 0.0}]})
    spec = spec_dict(tiny_model_dir, csv, policy)
    spec["data"]["positive_label"] = "<b>pos</b>"
    path = write_yaml(tmp_path / "s.yaml", spec)
    assert main(["run", str(path), "--output", str(tmp_path / "r"), "--quiet"]) == 0
    capsys.readouterr()
    return run_dirs(tmp_path / "r")[0]


def test_html_escapes_every_data_string(hostile_run: Path) -> None:
    html = (hostile_run / "report.html").read_text()
    assert "<script" not in html.lower()
    assert "<img" not in html.lower() and "<b>pos</b>" not in html and "p<i>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;pos&lt;/b&gt;" in html


def test_html_is_self_contained(hostile_run: Path) -> None:
    html = (hostile_run / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert html.count("<svg") >= 3  # confusion matrix, group bars, training curves
    assert "Content-Security-Policy" in html


def test_html_puts_the_verdict_first(hostile_run: Path) -> None:
    html = (hostile_run / "report.html").read_text()
    assert html.index('id="verdict"') < html.index('id="performance"') < html.index('id="fairness"')


def test_model_card_metadata_parses_with_huggingface_hub(hostile_run: Path) -> None:
    from huggingface_hub import ModelCard

    card = ModelCard.load(hostile_run / "model_card.md")
    data = card.data.to_dict()
    assert data["pipeline_tag"] == "text-classification"
    assert data["model-index"][0]["results"][0]["metrics"][0]["type"] == "accuracy"
    accuracy = json.loads((hostile_run / "audit.json").read_text())["metrics"]["performance.accuracy"]
    assert card.data.eval_results[0].metric_value == pytest.approx(accuracy, abs=1e-6)
    for section in ("## Intended use", "## Training data", "## Evaluation", "## Fairness", "## Limitations"):
        assert section in card.text
    prose = re.sub(r"`[^`]*`", "", card.text)  # code spans show HTML literally; outside them it must be escaped
    assert "<b>" not in prose and "<script" not in prose and "&lt;b&gt;" in prose


def test_card_states_verdict_and_links_audit(hostile_run: Path) -> None:
    text = (hostile_run / "model_card.md").read_text()
    assert "**Policy verdict: PASS" in text and "(audit.json)" in text and "(report.html)" in text


def test_data_check_section_renders_from_audit_json(hostile_run: Path) -> None:
    doc = json.loads((hostile_run / "audit.json").read_text())
    data = doc["checks"]["data"]
    assert data["status"] == "ok"
    html = (hostile_run / "report.html").read_text()
    assert 'aria-labelledby="data-check"' in html and html.index('id="fairness"') < html.index('id="data-check"')
    assert "data.shortcut_tokens" in html and "data.group.label_rate_gap" in html
    for s in data["details"]["shortcuts"]["shortcuts"]:  # the synthetic sentiment words decide the label
        assert f'<th scope="row">{s["token"]}</th>' in html
    assert "Data check:" in (hostile_run / "model_card.md").read_text()


def test_data_check_section_escapes_example_texts(hostile_run: Path) -> None:
    from rai_ft.render.html import render_html

    doc = json.loads((hostile_run / "audit.json").read_text())
    details = doc["checks"]["data"]["details"]
    details["duplicates"]["examples"] = [EVIL]
    details["overlap"]["train_test"]["examples"] = [EVIL]
    details["shortcuts"]["shortcuts"] = [{"token": EVIL, "label": EVIL, "rows": 1, "support": 0.1, "purity": 1.0,
                                          "label_base_rate": 0.5, "p_value": 0.0}]
    html = render_html(doc)
    assert "<script" not in html.lower() and html.count("&lt;script&gt;") >= 3


def test_threads_row_leaves_out_what_the_library_did_not_report(hostile_run: Path) -> None:
    from rai_ft.render.html import render_html

    doc = json.loads((hostile_run / "audit.json").read_text())
    doc["environment"]["threads"]["blas"] = [{"internal_api": "openmp", "version": None, "num_threads": 2,
                                              "architecture": None}]
    row = re.search(r"Threads</th><td>(.*?)</td>", render_html(doc)).group(1)
    assert "openmp: 2" in row and "None" not in row


def test_an_audit_json_from_before_the_shift_control_still_renders(hostile_run: Path) -> None:
    # `rai-ft report` re-renders old runs: a detail a newer check adds must be optional in both templates
    from rai_ft.render.card import render_card
    from rai_ft.render.html import render_html

    doc = json.loads((hostile_run / "audit.json").read_text())
    assert doc["checks"]["privacy"]["details"]["mia"].pop("shift_auc", None) is not None
    assert "Shift control" not in render_html(doc) and "Shift control" not in render_card(doc)
    doc["checks"]["privacy"]["details"]["mia"]["shift_auc"] = 0.9
    assert "CONFOUNDED" in render_html(doc) and "they differ" in render_card(doc)


def test_card_of_a_token_classifier_lists_only_its_metrics_and_names_its_entity_types() -> None:
    """A tagger's card showed the text task's accuracy and macro rows as dashes and its intended use as
    "classifying text into O, B-LOC, ..."; it now lists the entity metrics and names the entity types."""
    from rai_ft.render.card import render_card
    from tests.audit_doc import minimal_audit

    doc = minimal_audit({"performance.entity_f1": 0.5, "performance.token_accuracy": 0.9})
    doc["spec"]["task"] = "token-classification"
    doc["data"]["labels"] = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    card = render_card(doc)
    assert "| entity F1 | 0.5 |" in card and "| token accuracy | 0.9 |" in card
    assert "macro F1" not in card and "| accuracy |" not in card
    assert "Tagging entities of the types LOC, PER in text like the training data" in card
    text = minimal_audit({"performance.accuracy": 0.8, "performance.macro_f1": None})
    card = render_card(text)
    assert "| accuracy | 0.8 |" in card and "| macro F1 | — |" in card  # unmeasured still shows, as a dash
    assert "Classifying text like the training data into neg, pos" in card
