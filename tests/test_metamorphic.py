"""Metamorphic tests: changes that must not change any audit metric.

One tiny model is trained once; the same model is then audited with (a) the test rows shuffled, (b) the training rows
shuffled, (c) another eval_batch_size, (d) the labels renamed (neg/pos -> bad/good in the data and the model) and
(e) the model's label order permuted (its classifier rows and id2label swapped). Every metric in
``doc["metrics"]`` must equal the reference audit's within ``TOL``.

Why one tolerance for all: every metric is a deterministic function of the same examples and seeds. Samples are
sized to cover every row (robustness attacks every test row, attribution explains every test row, the
membership-inference audit uses every member), so no metric depends on which rows a sample happens to draw; what is
left is float rounding of the same arithmetic in another order (batch composition, padding), far below 1e-6 for
probabilities that are compared or averaged.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import make_gendered_frame, spec_dict, write_yaml

TOL = 1e-6
N_TRAIN, N_VAL, N_TEST = 120, 40, 24
RENAME = {"neg": "bad", "pos": "good"}


def policy_for(path: Path) -> Path:
    """Every check whose metrics could depend on row order, batch size or label order; samples cover every row."""
    return write_yaml(path, {"name": "metamorphic", "checks": {
        "fairness": {"min_group_size": 5, "bootstrap": 20},
        "counterfactual": {"min_counterfactuals": 5},
        "privacy": {"mia": True, "max_examples": N_TRAIN, "pii": True},
        "robustness": {"max_examples": N_TEST, "search_precision": "fp32", "time_budget_seconds": 600},
        "attribution": {"methods": ["ig"], "max_examples": N_TEST, "ig_steps": 8, "time_budget_seconds": 600},
    }})


def write_splits(folder: Path, splits: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Write each split as <folder>/<split>.csv; returns the spec's data file entries."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in splits.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return {name: str(folder / f"{name}.csv") for name in splits}


def make_spec(folder: Path, model_dir: Path, files: dict[str, str], policy: Path, positive: str = "pos",
              eval_batch_size: int = 64) -> Path:
    """A spec on explicit split files (so shuffling a file changes row order only, never the split)."""
    spec = spec_dict(model_dir, Path(files["train"]), policy)
    spec["data"] = {**files, "text": "text", "label": "label", "positive_label": positive, "sensitive": ["group"]}
    spec["train"]["eval_batch_size"] = eval_batch_size
    return write_yaml(folder / "spec.yaml", spec)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> dict[str, Any]:
    """Train the tiny model once; return its folder, the splits, the policy and the reference audit."""
    from rai_ft.pipeline import audit, run

    root = tmp_path_factory.mktemp("metamorphic")
    frame = make_gendered_frame(N_TRAIN + N_VAL + N_TEST, seed=3)
    splits = {"train": frame.iloc[:N_TRAIN], "validation": frame.iloc[N_TRAIN:N_TRAIN + N_VAL],
              "test": frame.iloc[N_TRAIN + N_VAL:]}
    policy = policy_for(root / "policy.yaml")
    spec = make_spec(root, tiny_model_dir, write_splits(root / "data", splits), policy)
    run_dir, _ = run(spec, root / "reports", quiet=True)
    _, reference = audit(spec, run_dir / "model", root / "reports", quiet=True)
    return {"root": root, "model": run_dir / "model", "splits": splits, "policy": policy, "ref": reference,
            "base": tiny_model_dir}


def audit_variant(world: dict[str, Any], name: str, splits: dict[str, pd.DataFrame], model: Path | None = None,
                  positive: str = "pos", eval_batch_size: int = 64) -> dict:
    """Audit *model* (default: the trained one) on *splits* under the shared policy."""
    from rai_ft.pipeline import audit

    folder = world["root"] / name
    files = write_splits(folder / "data", splits)
    spec = make_spec(folder, world["base"], files, world["policy"], positive, eval_batch_size)
    _, doc = audit(spec, model or world["model"], folder / "reports", quiet=True)
    return doc


def differences(ref: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Metrics missing on either side or differing by more than TOL, as readable lines."""
    out = [f"{k}: only in the reference" for k in ref.keys() - other.keys()]
    out += [f"{k}: only in the variant" for k in other.keys() - ref.keys()]
    for k in sorted(ref.keys() & other.keys()):
        a, b = ref[k], other[k]
        if a is None or b is None:
            if a is not b:
                out.append(f"{k}: {a} vs {b}")
        elif not (math.isclose(a, b, rel_tol=0, abs_tol=TOL) or (math.isnan(a) and math.isnan(b))):
            out.append(f"{k}: {a!r} vs {b!r}")
    return out


def assert_same_metrics(world: dict[str, Any], doc: dict) -> None:
    """Every metric of *doc* equals the reference audit's within TOL (and every check ran)."""
    statuses = {n: c["status"] for n, c in doc["checks"].items()}
    assert statuses == {n: c["status"] for n, c in world["ref"]["checks"].items()}
    diff = differences(world["ref"]["metrics"], doc["metrics"])
    assert not diff, f"{len(diff)} metric(s) changed:\n" + "\n".join(diff)


def shuffled(frame: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """*frame*'s rows in another order."""
    return frame.sample(frac=1.0, random_state=seed)


def test_reference_measures_every_check(world: dict[str, Any]) -> None:
    """The reference audit measured what the other tests compare (no vacuous None == None)."""
    m = world["ref"]["metrics"]
    assert all(c["status"] == "ok" for c in world["ref"]["checks"].values()), world["ref"]["checks"].keys()
    for key in ("performance.accuracy", "fairness.group.demographic_parity_difference",
                "fairness.counterfactual_flip_rate", "privacy.mia_auc", "robustness.attack_success_rate",
                "explainability.sensitive_token_share"):
        assert m.get(key) is not None, key


def test_shuffled_test_rows(world: dict[str, Any]) -> None:
    """The test split in another row order."""
    splits = {**world["splits"], "test": shuffled(world["splits"]["test"])}
    assert_same_metrics(world, audit_variant(world, "shuffle-test", splits))


def test_shuffled_train_rows(world: dict[str, Any]) -> None:
    """The training split in another row order (the members are the same set)."""
    splits = {**world["splits"], "train": shuffled(world["splits"]["train"])}
    assert_same_metrics(world, audit_variant(world, "shuffle-train", splits))


def test_eval_batch_size(world: dict[str, Any]) -> None:
    """Another evaluation batch size (other padding and batch composition)."""
    assert_same_metrics(world, audit_variant(world, "batch-7", world["splits"], eval_batch_size=7))


def model_copy(world: dict[str, Any], name: str, labels: list[str], swap_rows: bool) -> Path:
    """A copy of the trained model whose labels are *labels* (in the model's output order), rows swapped if asked."""
    from safetensors.torch import load_file, save_file

    dest = world["root"] / name
    shutil.copytree(world["model"], dest)
    weights = dest / "model.safetensors"
    if swap_rows:
        tensors = load_file(weights)
        for key in ("classifier.weight", "classifier.bias"):
            tensors[key] = tensors[key].flip(0).contiguous()
        save_file(tensors, weights, metadata={"format": "pt"})
    config = json.loads((dest / "config.json").read_text())
    config["id2label"] = {str(i): lab for i, lab in enumerate(labels)}
    config["label2id"] = {lab: i for i, lab in enumerate(labels)}
    (dest / "config.json").write_text(json.dumps(config))
    meta_path = dest / "rai_ft_model.json"
    meta = json.loads(meta_path.read_text())
    positive = meta["labels"][meta["positive_index"]]
    meta["labels"] = labels
    meta["positive_index"] = labels.index(RENAME.get(positive, positive) if positive not in labels else positive)
    meta_path.write_text(json.dumps(meta))
    return dest


def test_renamed_labels(world: dict[str, Any]) -> None:
    """neg/pos renamed bad/good in every split and in the model: the label names carry no meaning."""
    splits = {k: f.assign(label=f["label"].map(RENAME)) for k, f in world["splits"].items()}
    model = model_copy(world, "model-renamed", ["bad", "good"], swap_rows=False)
    assert_same_metrics(world, audit_variant(world, "renamed", splits, model=model, positive="good"))


def test_permuted_label_order(world: dict[str, Any]) -> None:
    """A model whose outputs come in the other order (classifier rows and id2label swapped) is the same model."""
    model = model_copy(world, "model-permuted", ["pos", "neg"], swap_rows=True)
    assert_same_metrics(world, audit_variant(world, "permuted", world["splits"], model=model))
