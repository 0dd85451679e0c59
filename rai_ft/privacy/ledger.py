"""The privacy ledger: cumulative ε per data set (keyed by the data's sha256 fingerprint) across runs.

One JSON file per reports folder (``<output>/privacy_ledger.json``). Composition is basic (ε and δ add up),
which is conservative. A run that trained on the data *without* DP makes the cumulative ε unbounded: the
data subjects then have no formal guarantee from the set of released models.
"""

from __future__ import annotations

import fcntl
import json
import math
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from rai_ft.errors import MSG_LEDGER_CORRUPT, SpecError
from rai_ft.record import write_text_atomic

__all__ = ["LEDGER_FILE", "read_ledger", "cumulative", "append_entry"]

LEDGER_FILE = "privacy_ledger.json"


def read_ledger(root: Path) -> list[dict[str, Any]]:
    """All entries of the ledger in *root* (empty if there is none)."""
    path = root / LEDGER_FILE
    if not path.exists():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(MSG_LEDGER_CORRUPT.format(detail=str(exc).splitlines()[0]), file=path) from None
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                                                and "epsilon" in e for e in entries):
        raise SpecError(MSG_LEDGER_CORRUPT.format(detail="expected {\"entries\": [...]} with a fingerprint and "
                                                  "epsilon in each entry"), file=path)
    return list(entries)


def cumulative(entries: list[dict[str, Any]], fingerprint: str, epsilon: float | None, delta: float | None
               ) -> dict[str, Any]:
    """Totals for *fingerprint* including a prospective run with (epsilon, delta); epsilon None = not private."""
    previous = [e for e in entries if e["fingerprint"] == fingerprint]
    eps_values = [e["epsilon"] for e in previous] + [epsilon]
    unbounded = any(v is None for v in eps_values)
    total_eps = math.inf if unbounded else float(sum(eps_values))
    total_delta = float(sum(e.get("delta") or 0.0 for e in previous) + (delta or 0.0))
    return {"fingerprint": fingerprint, "previous_runs": previous, "runs": len(previous) + 1,
            "cumulative_epsilon": total_eps, "cumulative_delta": total_delta, "unbounded": unbounded}


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{LEDGER_FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append_entry(root: Path, run_id: str, fingerprint: str, epsilon: float | None, delta: float | None,
                 accountant: str | None) -> None:
    """Record one finished run (atomically, under a file lock)."""
    with _locked(root):
        entries = read_ledger(root)
        entries.append({"run_id": run_id, "fingerprint": fingerprint, "epsilon": epsilon, "delta": delta,
                        "accountant": accountant, "private": epsilon is not None,
                        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        write_text_atomic(root / LEDGER_FILE, json.dumps({"schema": 1, "entries": entries}, indent=2) + "\n")
