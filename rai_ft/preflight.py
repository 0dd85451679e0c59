"""Pre-flight: every input and every place a run will write, checked before the first step.

``rai-ft run``, ``rai-ft audit`` and ``rai-ft validate`` call :func:`preflight` once. It reads only small files
(``config.json``, safetensors headers, the privacy ledger) and loads the data; no weights are loaded and nothing is
written (a probe file in the output folder is created and removed at once). Every problem is a one-line
:class:`~rai_ft.errors.SpecError` naming the spec file and line and the field, or the path and the flag.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rai_ft.config.loading import in_spec
from rai_ft.errors import MSG_MAX_LENGTH, MSG_NOT_WRITABLE, MSG_OUTPUT_IS_FILE, SpecError
from rai_ft.registry import base_of, task_of

if TYPE_CHECKING:  # rai_ft.modeling imports torch: only pre-flight of a model needs it, not gate/report/init
    from rai_ft.modeling.inspect import ModelFiles

__all__ = ["Checked", "preflight", "check_output", "check_file_arg", "position_limit"]

# Position-embedding offsets: RoBERTa-style models reserve padding_idx + 1 positions.
_OFFSET_MODELS = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "longformer", "data2vec-text"}


@dataclass
class Checked:
    """What pre-flight established: the loaded data and the model that will be used."""

    data: Any = None
    model: "ModelFiles | None" = None


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output(root: str | Path, flag: str = "--output") -> None:
    """*root* is (or can become) a writable folder, and a privacy ledger in it parses."""
    from rai_ft.privacy.ledger import read_ledger

    root = Path(root)
    existing = _nearest_existing(root)
    if not existing.is_dir():
        raise SpecError(MSG_OUTPUT_IS_FILE.format(path=existing, flag=flag), field=flag)
    try:  # os.access is blind to read-only mounts and to root; a real probe is not
        fd, probe = tempfile.mkstemp(prefix=".rai-ft-probe.", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SpecError(MSG_NOT_WRITABLE.format(path=existing, reason=exc.strerror or exc), field=flag) from None
    if root.is_dir():
        read_ledger(root)


def check_file_arg(path: str | Path, flag: str) -> None:
    """An output file named by a flag (``--junit``, ``--summary``) can be written: not a folder, parent writable."""
    from rai_ft.errors import MSG_IS_A_DIRECTORY

    p = Path(path)
    if p.is_dir():
        raise SpecError(MSG_IS_A_DIRECTORY.format(path=p, flag=flag), field=flag)
    check_output(p.parent, flag)


def position_limit(config: dict[str, Any]) -> int | None:
    """The longest input (in tokens) a model's config allows, or None when it does not say."""
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            if config.get("model_type") in _OFFSET_MODELS:
                value -= int(config.get("pad_token_id") or 1) + 1
            return value
    return None


def _check_max_length(spec: Any, files: "ModelFiles") -> None:
    limit = position_limit(files.config)
    if limit is None:
        return
    train = spec.train
    extra = spec.model.adapter.num_virtual_tokens if spec.model.adapter.method == "prompt" else 0
    if train.max_length + extra > limit:
        source = f"{files.config_source}" + (f"; prompt tuning adds {extra} virtual tokens" if extra else "")
        raise SpecError(MSG_MAX_LENGTH.format(value=train.max_length + extra, limit=limit, source=source),
                        field="train.max_length")


def check_signing_key() -> None:
    """The key in ``RAI_FT_SIGNING_KEY`` (when set) is a readable Ed25519 private key: refused before any work, not
    after training."""
    import os

    from rai_ft.provenance import SIGNING_KEY_ENV, sign

    if os.environ.get(SIGNING_KEY_ENV):
        sign("0" * 64, os.environ[SIGNING_KEY_ENV])


def preflight(prep: Any, output: str | Path | None = None, model_dir: str | Path | None = None,
              data: bool = True, base: bool = True) -> Checked:
    """Check everything knowable before work starts.

    Args:
        prep: The prepared spec and policy (:func:`rai_ft.pipeline.prepare`).
        output: The folder the run directory goes to (``--output``); None: not checked.
        model_dir: ``rai-ft audit --model``: the model to audit (then the spec's ``model.base`` is not used).
        data: Load and check the data (sizes against the splits, labels, texts).
        base: Check the spec's ``model.base`` (ignored when *model_dir* is given).
    """
    from rai_ft.modeling.inspect import check_base, check_model_folder

    spec = prep.spec
    checked = Checked()
    check_signing_key()
    with in_spec(spec):
        if output is not None:
            check_output(output)
        if model_dir is not None:
            checked.model = check_model_folder(model_dir, "--model", spec.model.allow_pickle, audit=True)
        elif base:
            checked.model = check_base(base_of(spec), spec.model.revision, spec.model.allow_pickle)
        if checked.model is not None:
            _check_max_length(spec, checked.model)
        if data:
            checked.data = task_of(spec).load_data(spec)
    return checked

