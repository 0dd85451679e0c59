"""A small tmpfs for tests that need a real full disk or a read-only folder (needs mount rights; else None)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "1m", read_only: bool = False) -> Iterator[Path | None]:
    """Mount a tmpfs of *size* on *where* for the block; yields None when this machine does not allow it."""
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if read_only else "")
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True,
                              timeout=20)
    except (OSError, subprocess.SubprocessError):
        yield None
        return
    if proc.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=20)
