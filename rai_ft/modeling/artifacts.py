"""Save a fine-tuned model (safetensors only) and load it back for ``rai-ft audit``."""

from __future__ import annotations

import contextlib
import copy
import json
import warnings
from pathlib import Path
from typing import Any, Iterator

import torch

from rai_ft.errors import SpecError
from rai_ft.modeling.adapters import is_peft
from rai_ft.modeling.loading import load_classifier, load_tokenizer, quiet_transformers, resolve_base

__all__ = ["META_FILE", "save_model", "load_saved_model", "weights_sha256", "model_meta"]

META_FILE = "rai_ft_model.json"


@contextlib.contextmanager
def _quiet_adalora(method: str) -> Iterator[None]:
    """Silence two spurious peft 0.21 warnings for AdaLoRA.

    AdaLoRA stores its pruned ranks as rank_pattern masks and may prune a module to rank 0; peft then warns about
    "unmatched" pattern keys and "zero-sized" tensors (meant for DeepSpeed/FSDP shards) although save and load are
    exact (tests/modeling/test_adapters.py round-trips every method).
    """
    with warnings.catch_warnings():
        if method == "adalora":
            warnings.filterwarnings("ignore", message=".*rank_pattern keys did not match.*")
            warnings.filterwarnings("ignore", message=".*LoRA tensor\\(s\\) have invalid shape.*")
        yield


def save_model(model: torch.nn.Module, tokenizer: Any, out_dir: Path, meta: dict[str, Any]) -> None:
    """Write adapter (or full) weights as safetensors, the tokenizer, and rai-ft metadata to *out_dir*. A model that
    asks for it (``merge_adapters_on_save``: image classifiers) is saved with its adapter merged into its weights."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if is_peft(model) and getattr(model.get_base_model(), "merge_adapters_on_save", False):  # type: ignore[operator]
        model = copy.deepcopy(model).merge_and_unload()  # type: ignore[operator]  # one self-contained model
        meta = {**meta, "peft": False, "merged_adapter": True}
    with _quiet_adalora(meta.get("method", "")):
        model.save_pretrained(out_dir, safe_serialization=True)  # type: ignore[operator]  # a HF/peft model
    (out_dir / "README.md").unlink(missing_ok=True)  # peft's placeholder card; the run's model_card.md is the card
    tokenizer.save_pretrained(out_dir)
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")


def weights_sha256(model_dir: Path) -> dict[str, str]:
    """sha256 of every safetensors file in *model_dir*, by file name."""
    from rai_ft.data.loading import sha256_file

    return {p.name: sha256_file(p) for p in sorted(model_dir.glob("*.safetensors"))}


def load_saved_model(model_dir: str | Path, labels: list[str] | None = None, allow_pickle: bool = False,
                     head: str = "sequence") -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """Load a model saved by rai-ft (adapter or full) or any local/hub classifier (*head*: ``"sequence"`` or
    ``"token"``, see :func:`~rai_ft.modeling.loading.load_classifier`).

    Returns:
        (model in eval mode, tokenizer, metadata). For a plain Hugging Face classifier the metadata
        holds the labels from its config.
    """
    path = Path(model_dir)
    meta_path = path / META_FILE
    quiet_transformers()
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        tokenizer = load_tokenizer(str(path))
        if meta.get("peft"):
            from peft import PeftModel

            base = load_classifier(resolve_base(meta["base"]), meta["labels"], allow_pickle=allow_pickle, head=head)
            with _quiet_adalora(meta.get("method", "")):
                model = PeftModel.from_pretrained(base, str(path), is_trainable=False)
        else:
            model = load_classifier(str(path), meta["labels"], allow_pickle=allow_pickle, head=head)
    else:
        tokenizer = load_tokenizer(str(model_dir))
        from transformers import AutoConfig

        try:
            config = AutoConfig.from_pretrained(str(model_dir), trust_remote_code=False)
        except (OSError, ValueError) as exc:
            raise SpecError(f"cannot load model {str(model_dir)!r}: {str(exc).splitlines()[0]}",
                            field="--model") from None
        cfg_labels = [config.id2label[i] for i in range(config.num_labels)]
        use = labels if labels is not None and sorted(labels) == sorted(cfg_labels) else cfg_labels
        model = load_classifier(str(model_dir), cfg_labels, allow_pickle=allow_pickle, head=head)
        meta = {"base": str(model_dir), "method": "external", "labels": use, "peft": False,
                "model_labels": cfg_labels}
    model.eval()
    return model, tokenizer, meta


def model_meta(model: torch.nn.Module, base: str, method: str, labels: list[str], positive_index: int,
               max_length: int, train_sha256: str | None = None) -> dict[str, Any]:
    """The metadata written beside the weights (``train_sha256`` lets a later audit know the members)."""
    return {"base": base, "method": method, "labels": labels, "positive_index": positive_index,
            "max_length": max_length, "peft": is_peft(model), "train_sha256": train_sha256}
