"""audit.json: building, schema validation, and atomic writing of the run directory."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import numpy as np

__all__ = ["AUDIT_FILE", "environment", "sanitize", "validate_audit", "write_text_atomic", "read_audit",
           "staged_run_dir", "reserved_run_dir", "AuditSchemaError"]

AUDIT_FILE = "audit.json"
_LIBRARIES = ("rai-ft", "torch", "transformers", "peft", "datasets", "fairlearn", "scikit-learn", "numpy",
              "pandas", "opacus", "textattack", "captum", "shap", "huggingface_hub", "pydantic")


class AuditSchemaError(RuntimeError):
    """audit.json does not match its schema (a bug in rai-ft, or a hand-edited file)."""


# CPU features that pick different floating-point kernels (so different rounding) in torch and BLAS.
_CPU_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
              "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve", "bf16")
_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "PYTHONHASHSEED")


def _cpu() -> dict[str, Any]:
    """CPU model and the SIMD flags that decide which kernels run (Linux: /proc/cpuinfo)."""
    model, flags = platform.processor() or platform.machine(), set[str]()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                model = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = set(value.split())
    return {"model": model or "unknown", "machine": platform.machine(), "cores": os.cpu_count(),
            "flags": [f for f in _CPU_FLAGS if f in flags]}


def _numerics() -> dict[str, Any]:
    """What floating-point results depend on besides library versions: threads, kernels, determinism."""
    import torch
    from threadpoolctl import threadpool_info

    blas = [{k: pool.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for pool in threadpool_info()]
    return {"threads": {"torch": torch.get_num_threads(), "torch_interop": torch.get_num_interop_threads(),
                        "blas": blas, "env": {k: os.environ[k] for k in _THREAD_ENV if k in os.environ}},
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled()}


def environment() -> dict[str, Any]:
    """Python, platform, library versions, CPU, thread counts and kernel choices: what a result depends on."""
    libs: dict[str, str | None] = {}
    for name in _LIBRARIES:
        try:
            libs[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            libs[name] = None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "libraries": libs, "cpu": _cpu(),
            **_numerics()}


def sanitize(obj: Any) -> Any:
    """Make *obj* strict-JSON: NaN/inf -> None, NumPy scalars/arrays -> Python, tuples -> lists."""
    if isinstance(obj, dict):
        return {str(k): sanitize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [sanitize(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return sanitize(obj.tolist())
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(resources.files("rai_ft").joinpath("schema/audit.schema.json").read_text(encoding="utf-8"))


def validate_audit(doc: dict[str, Any]) -> None:
    """Validate *doc* against the shipped JSON Schema.

    Raises:
        AuditSchemaError: naming the first failing path.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    error = next(iter(sorted(validator.iter_errors(doc), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.path) or "(root)"
        raise AuditSchemaError(f"audit.json does not match its schema at {where}: {error.message}")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomic(path: Path, text: str) -> None:
    """Write *text* to a temporary file beside *path*, then rename it over *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_audit(path: str | Path) -> dict[str, Any]:
    """Read and schema-validate an audit.json (or the audit.json inside a run directory)."""
    from rai_ft.errors import MSG_FILE_NOT_FOUND, SpecError

    p = Path(path)
    if p.is_dir():
        p = p / AUDIT_FILE
    if not p.is_file():
        raise SpecError(MSG_FILE_NOT_FOUND.format(path=p), file=p)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"not a valid audit.json: {exc}", file=p) from None
    try:
        validate_audit(doc)
    except AuditSchemaError as exc:
        raise SpecError(str(exc), file=p) from None
    return doc


def _reservation(final: Path) -> Path:
    """The hidden folder a run directory is staged in (and reserved by) until it is complete."""
    return final.parent / f".{final.name}.partial"


def _reserve(root: Path, name: str) -> Path:
    """Claim ``<root>/<name>-<UTC time>[-n]``: mkdir of its staging folder is atomic, so concurrent runs never share
    one.

    The name is checked *after* the claim: a run that committed the same name before the claim is seen then.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        candidate = root / (f"{name}-{stamp}" if n == 1 else f"{name}-{stamp}-{n}")
        n += 1
        try:
            os.mkdir(_reservation(candidate))
        except FileExistsError:
            continue
        if candidate.exists():  # committed before our claim: the claim is not ours to keep
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(_reservation(candidate))
            continue
        return candidate


@contextlib.contextmanager
def reserved_run_dir(root: Path, name: str) -> Iterator[Path]:
    """Yield a fresh run directory path under *root*, reserved for this process until the block ends.

    Whatever the block does not commit (:func:`staged_run_dir`) is removed on the way out, and so is *root* when this
    run created it and left it empty: a failed or interrupted run leaves nothing behind.
    """
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    final = _reserve(root, name)
    try:
        yield final
    finally:
        if not final.exists():  # once committed, a folder of that name is another run's claim (see _reserve)
            shutil.rmtree(_reservation(final), ignore_errors=True)
        if created and not final.exists():
            with contextlib.suppress(OSError):
                root.rmdir()  # only if empty


@contextlib.contextmanager
def staged_run_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary folder beside *final*; rename it to *final* only if the block succeeds.

    A failed or interrupted run leaves no half-written report directory behind. The folder is the one
    :func:`reserved_run_dir` claimed, if it did.
    """
    if final.exists():
        raise FileExistsError(f"{final} already exists; choose another --output or run name")
    final.parent.mkdir(parents=True, exist_ok=True)
    reserved = _reservation(final)
    tmp = reserved if reserved.is_dir() else Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial",
                                                                   dir=final.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
