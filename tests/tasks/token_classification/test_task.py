"""The token-classification task end to end: CoNLL data in, a trained tagger, the entity check, audit.json, the
report and the card; and the task's refusals at validation."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from rai_ft.errors import SpecError
from rai_ft.tasks.token_classification.data import MSG_NO_ENTITIES, TAGS, TOKENS, load_token_data
from rai_ft.validation import MSG_NOT_FOR_TASK, load_spec, prepare
from tests.conftest import write_yaml

PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank"]
PLACES = ["paris", "london", "berlin", "rome"]


def toy_conll(path: Path, n: int = 240, seed: int = 0, drop_locations: bool = False) -> Path:
    """Sentences naming a person and a place; *drop_locations* tags every place O (a planted blind spot)."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        p, loc = rng.choice(PEOPLE), rng.choice(PLACES)
        words = ["yesterday", p, "flew", "to", loc, "again"] if i % 2 else [p, "likes", loc, "a", "lot"]
        for w in words:
            tag = "B-person" if w in PEOPLE else ("O" if drop_locations else "B-location") if w in PLACES else "O"
            lines.append(f"{w}\t{tag}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _spec(tmp_path: Path, model: Path | None, data: dict, policy: dict | None = None, **train: object) -> Path:
    write_yaml(tmp_path / "policy.yaml", policy or {"name": "ner"})
    spec = {"name": "ner", "task": "token-classification", "data": data, "policy": "policy.yaml",
            "train": {"epochs": 4, "batch_size": 16, "learning_rate": 3e-3, "max_length": 32, "seed": 13,
                      "early_stopping": None, **train}}
    if model is not None:
        spec["model"] = {"base": str(model), "adapter": {"method": "full"}}
    return write_yaml(tmp_path / "spec.yaml", spec)


def test_a_conll_file_is_split_by_sentence_with_o_first(tmp_path: Path) -> None:
    toy_conll(tmp_path / "toy.conll", n=100)
    spec = load_spec(_spec(tmp_path, None, {"source": "toy.conll", "split": {"validation": 0.2, "test": 0.3}}))
    data = load_token_data(spec)
    assert (len(data.train), len(data.validation), len(data.test)) == (50, 20, 30)
    assert data.labels == ["O", "B-location", "I-location", "B-person", "I-person"]
    row = data.test.iloc[0]
    assert row["__text__"] == " ".join(row[TOKENS]) and len(row[TAGS]) == len(row[TOKENS])
    assert spec.model.base == "builtin:minilm"  # the task's offline default


def test_builtin_wnut17_keeps_its_published_splits(tmp_path: Path) -> None:
    data = load_token_data(load_spec(_spec(tmp_path, None, {"source": "builtin:wnut17"})))
    assert (len(data.train), len(data.validation), len(data.test)) == (3394, 1009, 1287)
    assert data.provenance["license"].startswith("CC BY 4.0") and "Derczynski" in data.provenance["citation"]


def test_data_without_entities_or_an_unknown_builtin_is_refused(tmp_path: Path) -> None:
    (tmp_path / "o.conll").write_text("a\tO\nb\tO\n\nc\tO\n\nd\tO\n\ne\tO\n\n", encoding="utf-8")
    spec = load_spec(_spec(tmp_path, None, {"source": "o.conll", "split": {"validation": 0.25, "test": 0.25}}))
    with pytest.raises(SpecError, match=MSG_NO_ENTITIES.split(":")[1].strip()[:20]):
        load_token_data(spec)
    with pytest.raises(SpecError, match="unknown built-in data set 'conll03'") as err:
        load_token_data(load_spec(_spec(tmp_path, None, {"source": "builtin:conll03"})))
    assert err.value.field == "data.source"


def test_a_text_classification_check_or_guard_is_refused_for_the_task(tmp_path: Path) -> None:
    toy_conll(tmp_path / "toy.conll")
    for policy, name in (({"name": "p", "checks": {"counterfactual": {}}}, "counterfactual"),
                         ({"name": "p", "guards": {"adversarial": {}}}, "adversarial")):
        with pytest.raises(SpecError) as err:
            prepare(_spec(tmp_path, None, {"source": "toy.conll"}, policy))
        assert name in err.value.message and "does not apply to task 'token-classification'" in err.value.message
    with pytest.raises(SpecError, match="data.text does not apply"):
        load_spec(_spec(tmp_path, None, {"source": "toy.conll", "text": "sentence"}))


def test_cli_refuses_a_fairness_threshold_for_the_task_in_one_line(tmp_path: Path) -> None:
    toy_conll(tmp_path / "toy.conll")
    policy = {"name": "p", "thresholds": [{"metric": "fairness.worst.demographic_parity_difference", "max": 0.1}]}
    path = _spec(tmp_path, None, {"source": "toy.conll"}, policy)
    proc = subprocess.run([sys.executable, "-m", "rai_ft", "validate", str(path), "--no-data"], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "policy.yaml:" in proc.stderr and "thresholds[0].metric" in proc.stderr
    assert MSG_NOT_FOR_TASK.split("{")[0] == "" and "check 'fairness' does not apply" in proc.stderr


def _run(tmp_path: Path, model: Path, **kw: object) -> tuple[Path, dict]:
    from rai_ft.pipeline import run

    tmp_path.mkdir(parents=True, exist_ok=True)
    toy_conll(tmp_path / "toy.conll", drop_locations=bool(kw.pop("drop_locations", False)))
    policy = {"name": "ner", "checks": {"entity_performance": {"bootstrap": 200}, "documentation": {}},
              "thresholds": [{"metric": "performance.entity_f1", "min": 0.5}]}
    run_dir, doc = run(_spec(tmp_path, model, {"source": "toy.conll"}, policy), tmp_path / "out", quiet=True)
    assert doc is not None
    return run_dir, doc


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> tuple[Path, dict]:
    return _run(tmp_path_factory.mktemp("ner"), tiny_model_dir)


def test_a_conll_file_trains_and_audits_end_to_end(trained: tuple[Path, dict]) -> None:
    run_dir, doc = trained
    m = doc["metrics"]
    assert m["performance.entity_f1"] >= 0.9 and doc["status"] == "pass"
    assert m["performance.person.entity_f1"] >= 0.9 and m["performance.location.entity_f1"] >= 0.9
    lo, hi = doc["metric_ci"]["performance.entity_f1"]
    assert lo <= m["performance.entity_f1"] <= hi
    assert doc["data"]["label_distribution"]["test"] == {"location": 60, "person": 60}
    assert set(doc["checks"]) == {"entity_performance", "privacy", "documentation"}
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Entities found on the held-out test split" in html and "micro (all)" in html
    card = (run_dir / "model_card.md").read_text(encoding="utf-8")
    assert "pipeline_tag: token-classification" in card and "token classification" in card
    assert json.loads((run_dir / "model" / "rai_ft_model.json").read_text())["labels"][0] == "O"


def test_a_type_the_model_never_learned_is_flagged_and_its_twin_is_not(
        tmp_path: Path, tiny_model_dir: Path, trained: tuple[Path, dict]) -> None:
    # planted defect: the training file tags every place O, so the model never learns "location"; audited on
    # data with places tagged, the check must say so. The clean twin (trained on the tagged file) must not.
    from rai_ft.pipeline import audit

    blind_dir, blind_run = _run(tmp_path / "blind", tiny_model_dir, drop_locations=True)
    assert blind_run["data"]["labels"] == ["O", "B-person", "I-person"]
    _, clean = trained
    toy_conll(tmp_path / "toy.conll")
    policy = {"name": "ner", "checks": {"entity_performance": {"bootstrap": 200}}}
    _, doc = audit(_spec(tmp_path, tiny_model_dir, {"source": "toy.conll"}, policy), blind_dir / "model",
                   tmp_path / "audits", quiet=True)
    assert doc is not None
    assert doc["metrics"]["performance.location.entity_f1"] == 0.0
    assert doc["metrics"]["performance.person.entity_f1"] >= 0.9
    flagged = [f["message"] for f in doc["findings"] if "never found" in f["message"]]
    assert flagged == ["entity type 'location' (60 in the test split) is never found correctly"]
    assert not [f for f in clean["findings"] if "never found" in f["message"]]


def test_the_predictor_maps_the_models_tag_order_by_name(trained: tuple[Path, dict]) -> None:
    from rai_ft.modeling.artifacts import load_saved_model
    from rai_ft.tasks.token_classification.predictor import TokenPredictor

    run_dir, doc = trained
    model, tok, meta = load_saved_model(run_dir / "model", head="token")
    labels = meta["labels"]
    sentence = [["carol", "likes", "rome", "a", "lot"]]
    ref = TokenPredictor(model, tok, labels, max_length=32).word_proba(sentence)[0]
    shuffled = labels[::-1]  # the data lists the tags in another order than the model's columns
    other = TokenPredictor(model, tok, shuffled, model_labels=labels, max_length=32).word_proba(sentence)[0]
    np.testing.assert_allclose(other, ref[:, [labels.index(t) for t in shuffled]], atol=1e-7)


@pytest.mark.parametrize("method", ["lora", "adalora", "ia3", "prompt", "prefix", "bitfit", "full"])
def test_every_adapter_method_trains_a_tagger_that_round_trips(tmp_path: Path, tiny_model_dir: Path,
                                                               method: str) -> None:
    """Each adapter trains the token model and is saved; `rai-ft audit` of the saved folder repeats its metrics.
    Failed before for prompt tuning: peft prepends the virtual tokens, so the logits had 4 more positions than the
    labels (the loss raised) and than the pieces (the predictor read the wrong positions)."""
    from rai_ft.pipeline import audit, run
    from tests.modeling.test_adapters import ADAPTER_SETTINGS

    assert method in ADAPTER_SETTINGS  # the same settings as the text task's adapter tests
    toy_conll(tmp_path / "toy.conll", n=120)
    spec = _spec(tmp_path, tiny_model_dir, {"source": "toy.conll"}, {"name": "ner", "checks": {
        "entity_performance": {"bootstrap": 0}}}, epochs=1, learning_rate=1e-2)
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    raw["model"]["adapter"] = ADAPTER_SETTINGS[method]
    write_yaml(spec, raw)
    run_dir, trained = run(spec, tmp_path / "out", quiet=True)
    assert trained is not None and trained["model"]["method"] == method
    assert trained["training"]["steps"] > 0 and all(np.isfinite(trained["training"]["step_losses"]))
    _, audited = audit(spec, run_dir / "model", tmp_path / "audits", quiet=True)
    assert audited is not None
    for key in ("performance.entity_f1", "performance.token_accuracy"):
        assert audited["metrics"][key] == pytest.approx(trained["metrics"][key], abs=1e-9), key
