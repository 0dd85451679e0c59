"""Look at a model without loading it: where it is, its config.json, whether its weights are whole and safe.

Used by pre-flight (:mod:`rai_ft.preflight`) for ``model.base`` and for ``rai-ft audit --model``: each problem is one
line naming the path and what is wrong. Hub ids are looked up in the local cache first; offline, no request is made
(so no retry chatter from the HTTP stack ever reaches the terminal).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

from rai_ft.errors import (
    MSG_HUB_OFFLINE,
    MSG_MODEL_BAD_FILE,
    MSG_MODEL_EMPTY,
    MSG_MODEL_IS_FILE,
    MSG_MODEL_LOAD,
    MSG_MODEL_NO_CONFIG,
    MSG_MODEL_NO_WEIGHTS,
    MSG_MODEL_NOT_FOUND,
    MSG_MODEL_RUN_DIR,
    MSG_UNSAFE_WEIGHTS,
    SpecError,
)

__all__ = ["ModelFiles", "check_base", "check_model_folder", "check_safetensors_file", "hub_offline", "quiet_hub",
           "offline_mode"]

META_FILE = "rai_ft_model.json"  # = rai_ft.modeling.artifacts.META_FILE (that module imports torch)
_MAX_HEADER = 100 * 1024 * 1024


@dataclass
class ModelFiles:
    """A model found on disk (or in the hub cache): its location and config (for the position limit)."""

    location: str
    config: dict[str, Any] = field(default_factory=dict)
    config_source: str = ""
    meta: dict[str, Any] | None = None


def _read_json(path: Path, flag: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        detail = f"not valid JSON ({exc})" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise SpecError(MSG_MODEL_BAD_FILE.format(path=path, detail=detail), field=flag) from None


def check_safetensors_file(path: Path, flag: str) -> None:
    """The safetensors header parses and the file is as long as the header says (catches truncated copies)."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            n = int.from_bytes(head, "little") if len(head) == 8 else -1
            if n < 2 or n > min(size - 8, _MAX_HEADER):
                raise ValueError(f"header length {n} does not fit a {size}-byte file")
            header = json.loads(fh.read(n))
        ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise SpecError(MSG_MODEL_BAD_FILE.format(path=path, detail=f"not a safetensors file ({exc})"),
                        field=flag) from None
    need = 8 + n + max(ends, default=0)
    if size < need:
        raise SpecError(MSG_MODEL_BAD_FILE.format(path=path, detail=f"truncated: {size} bytes of {need}"),
                        field=flag)


def _check_weights(path: Path, flag: str, allow_pickle: bool) -> None:
    safe = sorted(path.glob("*.safetensors"))
    pickled = sorted(path.glob("*.bin")) + sorted(path.glob("*.pt")) + sorted(path.glob("*.pth"))
    if not safe:
        if pickled and not allow_pickle:
            raise SpecError(MSG_UNSAFE_WEIGHTS.format(path=path), field=flag)
        if not pickled:
            raise SpecError(MSG_MODEL_NO_WEIGHTS.format(path=path), field=flag)
    for p in safe:
        check_safetensors_file(p, flag)


def _check_meta(path: Path, flag: str) -> dict[str, Any]:
    meta = _read_json(path / META_FILE, flag)
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not isinstance(labels, list) or len(labels) < 2 or not isinstance(meta.get("base"), str):
        raise SpecError(MSG_MODEL_BAD_FILE.format(path=path / META_FILE, detail="it needs 'base' and at least two "
                                                  "'labels'"), field=flag)
    return meta


def check_model_folder(location: str | Path, flag: str, allow_pickle: bool = False, audit: bool = False
                       ) -> ModelFiles:
    """A local model folder (a rai-ft ``model/``, a PEFT adapter or a Hugging Face classifier) that looks whole.

    With *audit*, a path that does not exist and looks like a hub id (``org/name``) is looked up as one.
    """
    path = Path(location).expanduser()
    if not path.exists():
        if audit and _looks_like_hub_id(str(location)):
            return _hub_model(str(location), None, flag)
        raise SpecError(MSG_MODEL_NOT_FOUND.format(path=path), field=flag)
    if not path.is_dir():
        raise SpecError(MSG_MODEL_IS_FILE.format(path=path), field=flag)
    if not any(path.iterdir()):
        raise SpecError(MSG_MODEL_EMPTY.format(path=path), field=flag)
    if (path / "audit.json").is_file() and (path / "model").is_dir():
        raise SpecError(MSG_MODEL_RUN_DIR.format(path=path, model=path / "model"), field=flag)
    meta = _check_meta(path, flag) if (path / META_FILE).exists() else None
    if (path / "adapter_config.json").is_file():
        _read_json(path / "adapter_config.json", flag)
        _check_weights(path, flag, allow_pickle)
        base = (meta or {}).get("base") or _read_json(path / "adapter_config.json", flag).get("base_model_name_or_path")
        found = check_base(str(base), None, allow_pickle, flag) if base else ModelFiles(str(path))
        return ModelFiles(str(path), found.config, found.config_source, meta)
    if not (path / "config.json").is_file():
        raise SpecError(MSG_MODEL_NO_CONFIG.format(path=path), field=flag)
    config = _read_json(path / "config.json", flag)
    if not isinstance(config, dict):
        raise SpecError(MSG_MODEL_BAD_FILE.format(path=path / "config.json", detail="not a JSON object"), field=flag)
    _check_weights(path, flag, allow_pickle)
    return ModelFiles(str(path), config, str(path / "config.json"), meta)


def _looks_like_hub_id(base: str) -> bool:
    """``org/name`` or ``name``: no leading ``/ . ~``, at most one slash, no backslash."""
    return not base.startswith(("/", ".", "~")) and base.count("/") <= 1 and "\\" not in base and bool(base.strip("/"))


def check_base(base: str, revision: str | None, allow_pickle: bool, flag: str = "model.base") -> ModelFiles:
    """``model.base``: a built-in, a local folder (must exist) or a hub id (cached, or fetched when online)."""
    from rai_ft.modeling.loading import resolve_base

    if base.startswith("builtin:"):
        return check_model_folder(resolve_base(base), flag, allow_pickle)
    path = Path(base).expanduser()
    if path.exists() or not _looks_like_hub_id(base) or (path.parent != Path(".") and path.parent.is_dir()):
        return check_model_folder(base, flag, allow_pickle)  # a path (``models/x`` where models/ exists is one too)
    return _hub_model(base, revision, flag)


def hub_offline() -> str | None:
    """Why the Hugging Face hub cannot be used now (None: it can)."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        return "HF_HUB_OFFLINE is set"
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=5).close()
    except OSError as exc:
        return f"cannot reach {host}: {exc.strerror or exc}"
    return None


@contextlib.contextmanager
def quiet_hub() -> Iterator[None]:
    """No retry warnings or progress bars from huggingface_hub / urllib3 while a hub call runs."""
    names = ("huggingface_hub", "urllib3", "httpx", "filelock")
    levels = {n: logging.getLogger(n).level for n in names}
    try:
        for n in names:
            logging.getLogger(n).setLevel(logging.CRITICAL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


@contextlib.contextmanager
def offline_mode(on: bool = True) -> Iterator[None]:
    """Make huggingface_hub and datasets use their caches only (no request, so no retries) while the block runs."""
    if not on:
        yield
        return
    keys = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    saved_env = {k: os.environ.get(k) for k in keys}
    patched = [(m, a) for m, a in (("huggingface_hub.constants", "HF_HUB_OFFLINE"),
                                   ("datasets.config", "HF_DATASETS_OFFLINE"), ("datasets.config", "HF_HUB_OFFLINE"))
               if m in sys.modules and hasattr(sys.modules[m], a)]
    saved = [(m, a, getattr(sys.modules[m], a)) for m, a in patched]
    try:
        os.environ.update({k: "1" for k in keys})
        for m, a in patched:
            setattr(sys.modules[m], a, True)
        yield
    finally:
        for m, a, v in saved:
            setattr(sys.modules[m], a, v)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _hub_model(base: str, revision: str | None, flag: str) -> ModelFiles:
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    with quiet_hub():
        try:
            cached = try_to_load_from_cache(base, "config.json", revision=revision)
        except Exception:  # noqa: BLE001 - an invalid repo id: neither a folder nor an id
            raise SpecError(MSG_MODEL_NOT_FOUND.format(path=base), field=flag) from None
        if not isinstance(cached, str):
            why = hub_offline()
            if why:
                raise SpecError(MSG_HUB_OFFLINE.format(base=base, why=why), field=flag)
            try:
                cached = hf_hub_download(base, "config.json", revision=revision)
            except Exception as exc:  # noqa: BLE001 - unknown repo, gated, no config: one line
                detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise SpecError(MSG_MODEL_LOAD.format(base=base, detail=detail), field=flag) from None
    config = _read_json(Path(cached), flag)
    return ModelFiles(base, config if isinstance(config, dict) else {}, f"{base}/config.json")
