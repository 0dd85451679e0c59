"""One end-to-end run on the real default model (all-MiniLM-L6-v2, offline) and the built-in Adult data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from rai_ft.cli import main
from rai_ft.record import validate_audit
from tests.conftest import run_dirs, write_yaml

ROOT = Path(__file__).resolve().parents[1]


def test_demo_spec_on_a_few_dozen_examples(tmp_path, capsys) -> None:
    demo = yaml.safe_load((ROOT / "audits" / "demo.yaml").read_text())
    demo["data"]["sample"] = {"train": 64, "validation": 24, "test": 48}
    demo["train"].update({"epochs": 1, "batch_size": 16})
    shutil.copy(ROOT / "policies" / "default.yaml", tmp_path / "default.yaml")
    demo["policy"] = "default.yaml"
    spec = write_yaml(tmp_path / "demo-small.yaml", demo)

    code = main(["run", str(spec), "--output", str(tmp_path / "reports"), "--quiet"])
    run_dir = run_dirs(tmp_path / "reports")[0]
    doc = json.loads((run_dir / "audit.json").read_text())
    validate_audit(doc)
    assert code == (1 if doc["status"] == "fail" else 0)
    assert doc["model"]["base"] == "builtin:minilm" and doc["model"]["method"] == "lora"
    assert doc["data"]["sizes"] == {"train": 64, "validation": 24, "test": 48}
    assert doc["data"]["provenance"]["source"] == "builtin:adult"
    assert {"sex", "race", "sex*race"} <= set(doc["checks"]["fairness"]["details"]["attributes"])
    assert (run_dir / "model" / "adapter_model.safetensors").is_file()
    assert "all-MiniLM-L6-v2" in (run_dir / "model_card.md").read_text()

    # the strict shipped policy blocks this barely-trained model; a lenient one lets it through
    assert main(["gate", str(run_dir), "--policy", str(ROOT / "policies" / "strict.yaml")]) == 1
    lenient = write_yaml(tmp_path / "lenient.yaml", {"name": "lenient", "thresholds": [
        {"metric": "performance.accuracy", "min": 0.5}]})
    assert main(["gate", str(run_dir), "--policy", str(lenient)]) == 0


def test_ner_demo_spec_on_a_few_dozen_sentences(tmp_path) -> None:
    """The token-classification demo (MiniLM + LoRA on the built-in WNUT-17) through the CLI, gate included."""
    demo = yaml.safe_load((ROOT / "audits" / "demo-ner.yaml").read_text())
    demo["data"]["sample"] = {"train": 64, "validation": 24, "test": 48}
    demo["train"].update({"epochs": 1, "batch_size": 16})
    shutil.copy(ROOT / "policies" / "ner.yaml", tmp_path / "ner.yaml")
    demo["policy"] = "ner.yaml"
    spec = write_yaml(tmp_path / "demo-ner-small.yaml", demo)

    code = main(["run", str(spec), "--output", str(tmp_path / "reports"), "--quiet"])
    run_dir = run_dirs(tmp_path / "reports")[0]
    doc = json.loads((run_dir / "audit.json").read_text())
    validate_audit(doc)
    assert code == (1 if doc["status"] == "fail" else 0)
    assert doc["spec"]["task"] == "token-classification" and doc["model"]["base"] == "builtin:minilm"
    assert doc["data"]["sizes"] == {"train": 64, "validation": 24, "test": 48}
    assert doc["data"]["provenance"]["license"].startswith("CC BY 4.0")
    assert set(doc["checks"]) == {"entity_performance", "privacy", "name_swap", "entity_robustness",
                                 "entity_attribution", "documentation"}
    assert 0.0 <= doc["metrics"]["performance.entity_f1"] <= 1.0 and "performance.entity_f1" in doc["metric_ci"]
    assert (run_dir / "model" / "adapter_model.safetensors").is_file()
    html = (run_dir / "report.html").read_text()
    for section in ("Entities found on the held-out test split", "Robustness to typos", "names swapped into person",
                    "Why the tagger finds an entity"):
        assert section in html
