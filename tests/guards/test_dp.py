"""The dp guard: recomputable ε, refusals before training, the gate under a DP policy, and MIA separation."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from rai_ft.cli import main
from rai_ft.guards.dp import DPConfig, auto_delta
from tests.conftest import run_dirs, spec_dict, write_yaml


def _dp_policy(tmp_path: Path, name: str = "dp", **dp: object) -> Path:
    settings = {"target_epsilon": 3.0, **dp}
    return write_yaml(tmp_path / f"{name}.yaml", {
        "name": name, "require": ["dp"], "guards": {"dp": settings},
        "checks": {"privacy": {"max_examples": 40}},
        "thresholds": [{"metric": "privacy.epsilon", "max": 3.0}]})


def _run(tmp_path: Path, spec: dict, out: str = "reports") -> tuple[int, dict | None]:
    path = write_yaml(tmp_path / "spec.yaml", spec)
    code = main(["run", str(path), "--output", str(tmp_path / out), "--quiet"])
    dirs = run_dirs(tmp_path / out) if (tmp_path / out).exists() else []
    return code, (json.loads((dirs[-1] / "audit.json").read_text()) if dirs else None)


@pytest.mark.parametrize("accountant", ["rdp", "prv", "gdp"])
def test_epsilon_equals_independent_recomputation(tmp_path, tiny_model_dir, sentiment_csv, accountant) -> None:
    from opacus.accountants import create_accountant

    policy = _dp_policy(tmp_path, accountant=accountant)
    code, doc = _run(tmp_path, spec_dict(tiny_model_dir, sentiment_csv, policy,
                                         model={"base": str(tiny_model_dir), "adapter": {"method": "lora"}}))
    assert code == 0
    s = doc["guards"]["dp"]["summary"]
    assert s["accountant"] == accountant and s["steps"] > 0 and s["noise_multiplier"] > 0
    acct = create_accountant(accountant)
    acct.history = [(s["noise_multiplier"], s["sample_rate"], s["steps"])]
    assert doc["metrics"]["privacy.epsilon"] == pytest.approx(acct.get_epsilon(delta=s["delta"]), rel=1e-6)
    assert doc["metrics"]["privacy.epsilon"] <= 3.0 + 1e-6
    assert "training split only" in s["note"]
    html = (run_dirs(tmp_path / "reports")[0] / "report.html").read_text()
    assert "differential privacy</strong>" in html and "validation split" in html


def test_full_fine_tuning_freezes_embeddings_and_virtual_batches_keep_logical_steps(
        tmp_path, tiny_model_dir, sentiment_csv) -> None:
    policy = _dp_policy(tmp_path, max_physical_batch_size=4, poisson_sampling=False)
    spec = spec_dict(tiny_model_dir, sentiment_csv, policy)  # method full
    code, doc = _run(tmp_path, spec)
    assert code == 0
    s = doc["guards"]["dp"]["summary"]
    assert any("word_embeddings" in n for n in s["frozen_parameters"])
    logical_per_epoch = -(-doc["data"]["sizes"]["train"] // spec["train"]["batch_size"])
    assert s["steps"] == doc["training"]["steps"] == logical_per_epoch * spec["train"]["epochs"]


@pytest.mark.parametrize("method,clipping", [("ia3", "flat"), ("adalora", "flat"), ("prompt", "flat"),
                                             ("prefix", "ghost")])
def test_unsupported_combinations_are_refused_before_training(tmp_path, tiny_model_dir, sentiment_csv, capsys,
                                                              method, clipping) -> None:
    policy = _dp_policy(tmp_path, clipping=clipping)
    spec = spec_dict(tiny_model_dir, sentiment_csv, policy,
                     model={"base": str(tiny_model_dir), "adapter": {"method": method}})
    code, doc = _run(tmp_path, spec)
    err = capsys.readouterr().err
    assert code == 2 and doc is None
    assert "guards.dp" in err and f"adapter '{method}'" in err and len(err.strip().splitlines()) == 1
    assert "epoch" not in err  # refused before the first epoch


def test_gate_blocks_a_non_dp_run_under_a_dp_policy(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy,
                                                    capsys) -> None:
    code, doc = _run(tmp_path, spec_dict(tiny_model_dir, sentiment_csv, lenient_policy))
    assert code == 0 and "dp" not in doc["guards"]
    run = run_dirs(tmp_path / "reports")[0]
    assert main(["gate", str(run), "--policy", str(_dp_policy(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "guard 'dp' was not used" in out and "privacy.epsilon" in out


def test_delta_auto_is_below_one_over_n() -> None:
    for n in (7, 240, 2000, 67349):
        assert 0 < auto_delta(n) < 1 / n
    assert auto_delta(2000) == pytest.approx(5e-5)
    with pytest.raises(ValueError):
        DPConfig(delta=1.5)


def _noise_csv(path: Path, n: int = 400) -> Path:
    """Random word strings with random labels: learnable only by memorising."""
    from rai_ft.modeling.loading import resolve_base

    words = [w for w in (Path(resolve_base("builtin:minilm")) / "vocab.txt").read_text().split()
             if w.isalpha() and len(w) > 3][:5000]
    rng = random.Random(0)
    pd.DataFrame([{"text": " ".join(rng.choice(words) for _ in range(6)), "label": rng.choice("xy"),
                   "group": rng.choice("ab")} for _ in range(n)]).to_csv(path, index=False)
    return path


def test_mia_separates_an_overfitted_model_from_a_dp_one(tmp_path, tiny_model_dir) -> None:
    csv = _noise_csv(tmp_path / "noise.csv")
    aucs = {}
    for name, guards in (("overfit", {}), ("private", {"dp": {"target_epsilon": 1.0}})):
        policy = write_yaml(tmp_path / f"{name}.yaml", {"name": name, "guards": guards,
                                                        "checks": {"privacy": {"max_examples": 100}}})
        spec = spec_dict(tiny_model_dir, csv, policy, train={"epochs": 60, "batch_size": 16, "learning_rate": 1e-3,
                                                             "max_length": 16, "early_stopping": None})
        spec["data"].update(split={"validation": 0.2, "test": 0.5, "seed": 0}, positive_label="y")
        code, doc = _run(tmp_path, spec, out=name)
        assert code == 0
        aucs[name] = doc["metrics"]["privacy.mia_auc"]
    assert aucs["overfit"] > 0.85
    assert aucs["private"] < 0.6


def test_recorded_sample_rate_is_the_accountants_when_one_over_q_is_not_an_integer(tmp_path, tiny_model_dir) -> None:
    """744 train rows in batches of 8: Opacus samples at q = 1/93 but accounts 1/int(1/q) = 1/92, and
    make_private_with_epsilon calibrated the noise for 1/93, so ε ended above its target. The record must hold the
    accounted rate (ε recomputes from it alone) and ε must stay within the target."""
    from opacus.accountants import create_accountant

    from tests.conftest import make_sentiment_frame

    assert int(1 / (1 / 93)) == 92
    frames = {"train": make_sentiment_frame(744, seed=1), "validation": make_sentiment_frame(40, seed=2),
              "test": make_sentiment_frame(40, seed=3)}
    paths = {}
    for split, df in frames.items():
        paths[split] = tmp_path / f"{split}.csv"
        df.to_csv(paths[split], index=False)
    spec = spec_dict(tiny_model_dir, paths["train"], _dp_policy(tmp_path),
                     model={"base": str(tiny_model_dir), "adapter": {"method": "lora"}})
    spec["data"] = {"train": str(paths["train"]), "validation": str(paths["validation"]), "test": str(paths["test"]),
                    "text": "text", "label": "label", "positive_label": "pos", "sensitive": ["group"]}
    spec["train"].update(epochs=1, batch_size=8)
    code, doc = _run(tmp_path, spec)
    assert code == 0
    s = doc["guards"]["dp"]["summary"]
    assert s["sample_rate"] == 1 / 92 and s["steps"] == 92
    assert doc["metrics"]["privacy.epsilon"] <= 3.0
    acct = create_accountant(s["accountant"])
    acct.history = [(s["noise_multiplier"], s["sample_rate"], s["steps"])]
    assert doc["metrics"]["privacy.epsilon"] == pytest.approx(acct.get_epsilon(delta=s["delta"]), rel=1e-9)


def test_fixed_batches_warn_that_the_guarantee_assumes_poisson(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    from rai_ft.guards.dp import MSG_NO_POISSON

    spec = spec_dict(tiny_model_dir, sentiment_csv, _dp_policy(tmp_path, poisson_sampling=False),
                     model={"base": str(tiny_model_dir), "adapter": {"method": "lora"}})
    spec["train"]["epochs"] = 1
    code, doc = _run(tmp_path, spec)
    assert {"severity": "warn", "message": MSG_NO_POISSON} in [
        {k: f[k] for k in ("severity", "message")} for f in doc["findings"]]


def test_a_separate_head_learning_rate_trains_under_dp_with_the_same_epsilon(tmp_path, tiny_model_dir,
                                                                             sentiment_csv) -> None:
    # two optimizer groups (adapter, head) under Opacus: the noise and the accountant do not depend on the rates
    policy = _dp_policy(tmp_path)
    model = {"base": str(tiny_model_dir), "adapter": {"method": "lora"}}
    eps = []
    for i, head_lr in enumerate((None, 5e-2)):
        spec = spec_dict(tiny_model_dir, sentiment_csv, policy, model=model)
        spec["train"]["head_learning_rate"] = head_lr
        code, doc = _run(tmp_path, spec, out=f"r{i}")
        assert code == 0 and doc is not None
        eps.append(doc["metrics"]["privacy.epsilon"])
        assert doc["spec"]["train"]["head_learning_rate"] == head_lr
    assert eps[0] == pytest.approx(eps[1])
