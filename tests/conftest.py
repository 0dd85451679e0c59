"""Shared fixtures: a tiny randomly initialised BERT (hidden size 32) and small synthetic data sets.

Nothing here reads ../shared or the network.

``RAI_FT_TEST_SEED`` shifts every training seed and the tiny model's initialisation, and ``RAI_FT_TEST_THREADS`` sets
torch's thread count, so that ``scripts/seed_sweep.sh`` can show that each claimed effect of training holds on
several seeds and thread counts (not on one lucky floating-point trajectory).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pandas as pd
import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SEED = int(os.environ.get("RAI_FT_TEST_SEED", "7"))  # the training seed of every test spec
THREADS = int(os.environ["RAI_FT_TEST_THREADS"]) if os.environ.get("RAI_FT_TEST_THREADS") else None
if THREADS:  # before torch starts its pools; subprocesses (DDP tests) inherit it
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(THREADS)


def pytest_configure(config: pytest.Config) -> None:
    """Pin torch's thread count when RAI_FT_TEST_THREADS is set."""
    if THREADS:
        import torch

        torch.set_num_threads(THREADS)


def pytest_report_header(config: pytest.Config) -> str:
    """Say which seed and thread count this session runs with."""
    return f"rai-ft tests: seed {SEED}, torch threads {THREADS or 'default'}"

POSITIVE_WORDS = ["great", "excellent", "wonderful", "superb"]
NEGATIVE_WORDS = ["awful", "terrible", "dreadful", "poor"]
FILLER = ["the", "film", "plot", "actor", "story", "was", "and", "a", "scene", "music", "ending", "very"]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with hidden size 32 and the MiniLM tokenizer, saved as a local model folder."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from rai_ft.modeling.loading import resolve_base

    out = tmp_path_factory.mktemp("tiny-bert")
    tok = AutoTokenizer.from_pretrained(resolve_base("builtin:minilm"))
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=37, max_position_embeddings=128, num_labels=2)
    torch.manual_seed(SEED)
    BertForSequenceClassification(cfg).save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return out


def make_sentiment_frame(n: int, seed: int = 0, groups: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    """Texts whose label is decided by one sentiment word; a 'group' column unrelated to the label."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        word = rng.choice(POSITIVE_WORDS if label else NEGATIVE_WORDS)
        words = [rng.choice(FILLER) for _ in range(rng.randint(4, 9))]
        words.insert(rng.randint(0, len(words)), word)
        rows.append({"text": " ".join(words), "label": "pos" if label else "neg",
                     "group": groups[rng.randrange(len(groups))]})
    return pd.DataFrame(rows)


def make_gendered_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """:func:`make_sentiment_frame` texts with a gendered subject ("he said ..." / "she said ...") and a 'group'
    column (male/female) taken from it, so counterfactual gender swaps apply to every row."""
    rng = random.Random(seed + 1)
    frame = make_sentiment_frame(n, seed=seed)
    subjects = [rng.choice(["he", "she"]) for _ in range(n)]
    return frame.assign(text=[f"{s} said {t}" for s, t in zip(subjects, frame["text"])],
                        group=["male" if s == "he" else "female" for s in subjects])


@pytest.fixture()
def sentiment_csv(tmp_path: Path) -> Path:
    """240 rows of learnable synthetic sentiment with a two-valued group column."""
    path = tmp_path / "sentiment.csv"
    make_sentiment_frame(240).to_csv(path, index=False)
    return path


def write_yaml(path: Path, data: dict) -> Path:
    """Write *data* as YAML to *path* and return it."""
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def lenient_policy(tmp_path: Path) -> Path:
    """A policy the tiny model passes."""
    return write_yaml(tmp_path / "lenient.yaml", {
        "name": "lenient",
        "checks": {"fairness": {"min_group_size": 5}},
        "thresholds": [{"metric": "performance.accuracy", "min": 0.0},
                       {"metric": "fairness.group.demographic_parity_difference", "max": 1.0, "severity": "warn"}],
    })


@pytest.fixture()
def strict_policy(tmp_path: Path) -> Path:
    """A policy the tiny model cannot pass: near-perfect accuracy and a zero parity gap."""
    return write_yaml(tmp_path / "strict.yaml", {
        "name": "strict",
        "thresholds": [{"metric": "performance.accuracy", "min": 0.999},
                       {"metric": "fairness.group.demographic_parity_difference", "max": 0.0}],
    })


def spec_dict(model_dir: Path, data_path: Path, policy: Path, **overrides: object) -> dict:
    """A small, fast spec for the tiny model."""
    spec = {
        "name": "tiny",
        "model": {"base": str(model_dir), "adapter": {"method": "full"}},
        "data": {"source": str(data_path), "text": "text", "label": "label", "positive_label": "pos",
                 "sensitive": ["group"], "split": {"validation": 0.2, "test": 0.25, "seed": 1}},
        "train": {"epochs": 8, "batch_size": 16, "learning_rate": 1e-3, "max_length": 32, "seed": SEED,
                  "early_stopping": None},
        "policy": str(policy),
    }
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if field:
            spec[section][field] = value
        else:
            spec[section] = value
    return spec


@pytest.fixture()
def tiny_spec(tmp_path: Path, tiny_model_dir: Path, sentiment_csv: Path, lenient_policy: Path) -> Path:
    """A spec file for the tiny model on the synthetic sentiment data."""
    return write_yaml(tmp_path / "spec.yaml", spec_dict(tiny_model_dir, sentiment_csv, lenient_policy))


def run_dirs(root: Path) -> list[Path]:
    """The run directories in a reports folder (not the ledger, lock or hidden staging folders)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
