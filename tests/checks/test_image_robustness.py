"""The image robustness check on planted defects: a classifier that reads a faint watermark (a shortcut of 16 grey
levels) loses its accuracy to an 8/255 L∞ attack and to blur and noise; its twin, which reads a bright bar, keeps it.
Also: unmeasured on a one-class model; refused without an image predictor; the same metrics at another batch size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rai_ft.checks import AuditContext
from rai_ft.checks.image_robustness import MSG_NOT_IMAGES, ImageRobustnessCheck, ImageRobustnessConfig
from rai_ft.pipeline import audit, run
from rai_ft.tasks.image_classification.predictions import ImagePredictions
from tests.conftest import SEED, write_yaml
from tests.tasks.image_classification.images import shortcut_folder, small_cnn_base


def _run(tmp_path: Path, planted: bool, checks: dict) -> tuple[dict, Path, Path]:
    shortcut_folder(tmp_path / "imgs", per_class=150, planted=planted)
    base = small_cnn_base(tmp_path / "cnn")
    write_yaml(tmp_path / "policy.yaml", {"name": "p", "checks": checks})
    spec = write_yaml(tmp_path / "spec.yaml", {
        "name": "shortcut" if planted else "bars", "task": "image-classification", "policy": "policy.yaml",
        "data": {"source": "imgs"}, "model": {"base": str(base), "adapter": {"method": "full"}},
        "train": {"epochs": 15, "batch_size": 16, "learning_rate": 0.01, "seed": SEED, "early_stopping": None}})
    run_dir, doc = run(spec, output_root=tmp_path / "reports", quiet=True)
    assert doc is not None
    return doc, run_dir / "model", spec


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict, Path, Path]]:
    checks = {"image_robustness": {"max_images": 80}}
    return [_run(tmp_path_factory.mktemp("defect"), True, checks),
            _run(tmp_path_factory.mktemp("clean"), False, checks)]


@pytest.fixture(scope="module")
def pair(runs: list[tuple[dict, Path, Path]]) -> tuple[dict, dict]:
    return runs[0][0], runs[1][0]


def test_a_watermark_reader_is_flagged_and_its_bar_reading_twin_is_not(pair: tuple[dict, dict]) -> None:
    defect, clean = (d["metrics"] for d in pair)
    assert defect["robustness.image_clean_accuracy"] >= 0.9 and clean["robustness.image_clean_accuracy"] >= 0.9
    assert defect["robustness.image_accuracy_under_attack"] <= 0.3
    assert clean["robustness.image_accuracy_under_attack"] >= 0.7
    assert defect["robustness.image_attack_success_rate"] >= 0.7
    assert clean["robustness.image_attack_success_rate"] <= 0.3
    assert defect["robustness.image_corruption_accuracy"] < clean["robustness.image_corruption_accuracy"] - 0.2
    warned = [f["message"] for f in pair[0]["checks"]["image_robustness"]["findings"]]
    assert any("PGD attack of ε = 0.0314 (8.0/255)" in m for m in warned)
    assert not [f for f in pair[1]["checks"]["image_robustness"]["findings"] if "PGD" in f["message"]]


def test_pgd_is_at_least_as_strong_as_fgsm(pair: tuple[dict, dict]) -> None:
    for doc in pair:
        m = doc["metrics"]
        assert m["robustness.image_accuracy_under_attack"] <= m["robustness.image_fgsm_accuracy"] + 0.05


def test_the_batch_size_and_the_row_order_do_not_change_the_verdict(runs: list[tuple[dict, Path, Path]],
                                                                    tmp_path: Path) -> None:
    doc, model, spec = runs[0]
    write_yaml(spec.parent / "policy.yaml", {"name": "p", "checks": {"image_robustness": {"max_images": 80,
                                                                                          "batch_size": 7}}})
    try:
        _, again = audit(spec, model, output_root=tmp_path, quiet=True)
    finally:
        write_yaml(spec.parent / "policy.yaml", {"name": "p", "checks": {"image_robustness": {"max_images": 80}}})
    assert again is not None
    for name in (n for n in ImageRobustnessCheck.metric_patterns if "baseline" not in n):  # no baseline trained
        assert again["metrics"][name] == doc["metrics"][name], name


def _ctx(y_pred: list[int], predictor: object) -> AuditContext:
    y = np.array([0, 1, 0, 1])
    preds = ImagePredictions(y_true=y, y_pred=np.array(y_pred), proba=np.eye(2)[y_pred], labels=["a", "b"],
                             positive_index=1)
    return AuditContext(spec=None, policy=None, predictions=preds, texts=["w", "x", "y", "z"],
                        sensitive=pd.DataFrame(index=range(4)), predictor=predictor)  # type: ignore[arg-type]


def test_a_one_class_model_is_unmeasured_not_robust() -> None:
    class Images:
        tokenizer = type("P", (), {"normalise": None})()

    result = ImageRobustnessCheck(ImageRobustnessConfig()).run(_ctx([1, 1, 1, 1], Images()))
    assert all(v is None for v in result.metrics.values()) and result.findings[0].severity == "warn"


def test_a_text_predictor_is_refused_with_a_reason() -> None:
    class Text:
        tokenizer = object()

    result = ImageRobustnessCheck(ImageRobustnessConfig()).run(_ctx([0, 1, 0, 1], Text()))
    assert result.status == "error" and result.error == MSG_NOT_IMAGES


def test_the_report_shows_accuracy_under_attack_and_corruptions(runs: list[tuple[dict, Path, Path]]) -> None:
    html = (runs[0][1].parent / "report.html").read_text()
    assert "Robustness to small pixel changes and corruptions" in html
    assert "PGD, ε = 0.03137 (8.0/255), 10 steps" in html and "Gaussian blur, σ = 1 pixel" in html
    assert "WARN</span> accuracy falls from" in html
