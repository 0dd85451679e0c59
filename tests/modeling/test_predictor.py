"""The predictor: every check audits the model as deployed (labels mapped by name, post-processing applied)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rai_ft.checks.base import MSG_ONE_CLASS
from rai_ft.errors import SpecError
from rai_ft.modeling.predictor import MSG_LABELS_DIFFER, MSG_ROWS_NEEDED, Predictor
from tests.conftest import spec_dict, write_yaml

TEXTS = ["the film was great", "an awful plot", "the story and the music", "a very poor ending"]


def _external(tmp_path: Path, tiny_model_dir: Path, id2label: dict[int, str], *, bias: tuple[float, float] | None,
              scale: float = 1.0) -> Path:
    """A copy of the tiny model with its own id2label; *bias* set = a model whose output ignores the text."""
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(tiny_model_dir)
    with torch.no_grad():
        if bias is not None:
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(bias))
        else:
            model.classifier.weight.mul_(scale)
    model.config.id2label = dict(id2label)
    model.config.label2id = {v: k for k, v in id2label.items()}
    out = tmp_path / "external"
    model.save_pretrained(out, safe_serialization=True)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


def _audit(tmp_path: Path, model_dir: Path, sentiment_csv: Path, checks: dict) -> tuple[dict, np.ndarray, np.ndarray]:
    """Audit *model_dir*; returns the audit document and the test split's gold labels (names) and groups."""
    from rai_ft.config import load_spec
    from rai_ft.data.loading import LABEL, load_data
    from rai_ft.pipeline import audit

    policy = write_yaml(tmp_path / "policy.yaml", {"name": "p", "checks": checks,
                                                   "thresholds": [{"metric": "performance.accuracy", "min": 0.0}]})
    spec = write_yaml(tmp_path / "spec.yaml", spec_dict(model_dir, sentiment_csv, policy))
    _, doc = audit(spec, model_dir, tmp_path / "reports", quiet=True)
    assert doc is not None
    data = load_data(load_spec(spec))
    return doc, np.array([data.labels[i] for i in data.test[LABEL]]), data.test["group"].to_numpy()


CHECKS = {"fairness": {"min_group_size": 5},
          "counterfactual": {"swaps": {"topic": {"groups": ["film", "story"], "terms": [["film", "story"]]}},
                             "min_counterfactuals": 5},
          "robustness": {"max_examples": 24, "search_precision": "fp32"}}


def test_columns_follow_label_names(tiny_model_dir: Path) -> None:
    from rai_ft.modeling.artifacts import load_saved_model

    model, tok, _ = load_saved_model(tiny_model_dir)
    plain = Predictor(model, tok, ["neg", "pos"], max_length=32)
    swapped = Predictor(model, tok, ["neg", "pos"], model_labels=["pos", "neg"], max_length=32)
    assert np.allclose(swapped.proba(TEXTS), plain.proba(TEXTS)[:, ::-1])
    assert swapped.model_column(0) == 1 and swapped.model_column(1) == 0
    with pytest.raises(SpecError, match=MSG_LABELS_DIFFER.split("{")[0]):
        Predictor(model, tok, ["neg", "pos"], model_labels=["neg", "other"])


def test_post_processed_predictor_needs_rows(tiny_model_dir: Path) -> None:
    from rai_ft.fairness.thresholds import GroupThresholds
    from rai_ft.modeling.artifacts import load_saved_model

    model, tok, _ = load_saved_model(tiny_model_dir)
    post = GroupThresholds(_always_a(), np.array(["a", "b", "a", "b"]), positive_index=1)
    predictor = Predictor(model, tok, ["neg", "pos"], max_length=32, postprocess=post)
    with pytest.raises(SpecError, match=MSG_ROWS_NEEDED.split("{")[0]):
        predictor.predict(TEXTS)
    assert predictor.predict(TEXTS, rows=[0, 1, 2, 3]).tolist() == [1, 0, 1, 0]


def test_label_order_of_an_outside_model_does_not_fake_flips(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    """Failed before: a model whose output ignores the text, with id2label in another order than the data's,
    had a counterfactual flip rate of 1.0 and an attack success rate far from 0. Its predictions are now read in
    the data's order (always "pos"), so the checks see a one-class model and fail closed instead of passing it
    with rates of 0 (a rate of 0 from a model that cannot change its answer is no evidence). A learned model
    whose label order is permuted keeps every metric: tests/test_metamorphic.py."""
    model_dir = _external(tmp_path, tiny_model_dir, {0: "pos", 1: "neg"}, bias=(3.0, -3.0))  # always "pos"
    doc, gold, _ = _audit(tmp_path, model_dir, sentiment_csv, CHECKS)
    m = doc["metrics"]
    assert m["performance.accuracy"] == pytest.approx(float(np.mean(gold == "pos")))
    for check, metric, what in (("counterfactual", "fairness.counterfactual_flip_rate", "a flip rate"),
                                ("robustness", "robustness.attack_success_rate", "an attack success rate")):
        assert m[metric] is None
        expected = MSG_ONE_CLASS.format(check=check, label="pos", n=len(gold), k=2, what=what)
        assert [f["message"] for f in doc["checks"][check]["findings"]] == [expected]


def test_a_model_that_reads_the_text_is_measured_by_the_flip_checks(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    """The twin of the one-class model above: the tiny model trained on the same data (it reads the sentiment word)
    is measured by both flip checks, with no one-class finding."""
    from rai_ft.pipeline import run

    policy = write_yaml(tmp_path / "policy.yaml", {"name": "p", "checks": CHECKS})
    _, doc = run(write_yaml(tmp_path / "spec.yaml", spec_dict(tiny_model_dir, sentiment_csv, policy)),
                 tmp_path / "reports", quiet=True)
    assert doc is not None and doc["metrics"]["performance.accuracy"] > 0.9
    for check, metric in (("counterfactual", "fairness.counterfactual_flip_rate"),
                          ("robustness", "robustness.attack_success_rate")):
        assert doc["metrics"][metric] is not None, doc["checks"][check]["findings"]
        assert not any("for every one of" in f["message"] for f in doc["checks"][check]["findings"])


def _always_a() -> dict:
    """Thresholds by which group a is always favourable and group b never: the decision ignores the text."""
    rule = {"p0": 1.0, "operator0": ">", "p1": 0.0, "operator1": ">"}
    return {"method": "threshold_optimizer", "constraint": "demographic_parity", "objective": "accuracy_score",
            "column": "group", "seed": 0, "pooled": [],
            "groups": {"a": {**rule, "threshold0": -1.0, "threshold1": -1.0},
                       "b": {**rule, "threshold0": 2.0, "threshold1": 2.0}}}


def test_checks_audit_the_post_processed_decision(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    """Failed before: with group thresholds only y_pred changed; the counterfactual and robustness checks still
    judged the raw model. Here the deployed decision depends on the group alone, so nothing can flip it."""
    model_dir = _external(tmp_path, tiny_model_dir, {0: "neg", 1: "pos"}, bias=None, scale=200.0)
    (model_dir / "fairness_thresholds.json").write_text(json.dumps(_always_a()), encoding="utf-8")
    doc, gold, groups = _audit(tmp_path, model_dir, sentiment_csv, CHECKS)
    m = doc["metrics"]
    assert m["fairness.group.demographic_parity_difference"] == pytest.approx(1.0)
    deployed = np.where(groups == "a", "pos", "neg")
    attacked = doc["checks"]["robustness"]["details"]["example_ids"]
    assert m["robustness.clean_accuracy"] == pytest.approx(float(np.mean(gold[attacked] == deployed[attacked])))
    assert doc["checks"]["counterfactual"]["details"]["n_counterfactuals"] >= 5
    assert m["fairness.counterfactual_flip_rate"] == 0.0
    assert m["robustness.attack_success_rate"] == 0.0
    assert "group thresholds" in doc["checks"]["counterfactual"]["details"]["decision"]
    assert doc["mitigation"]["before"]["performance.accuracy"] != m["performance.accuracy"]


def test_only_the_predictor_calls_the_model() -> None:
    """Checks, guards, explainers and the pipeline score texts through the predictor, never the model itself."""
    import re

    root = Path(__file__).resolve().parents[2] / "rai_ft"
    allowed = {root / "modeling" / "predictor.py", root / "modeling" / "inference.py",
               root / "tasks" / "token_classification" / "predictor.py",  # the token classifier's predictor
               root / "training" / "loop.py",  # training steps of the model being trained
               root / "tasks" / "text_classification.py",  # validation of the model being trained
               root / "guards" / "dp.py"}  # one trial training step (is the model DP-compatible?)
    call = re.compile(r"(?<!def )predict_proba\(|\.logits\b|model\(\*\*")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p not in allowed and call.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
