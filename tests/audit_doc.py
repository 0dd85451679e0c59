"""A minimal audit.json that matches the schema, for tests of commands that read one (no run needed)."""

from __future__ import annotations

from typing import Any


def _performance_check() -> dict[str, Any]:
    """A performance check entry measured with a default policy's settings (so a gate compares its metrics)."""
    from rai_ft.registry import check_config, measured_settings
    from rai_ft.config import Policy

    settings = measured_settings("performance", check_config(Policy.model_validate({"name": "p"}), "performance"))
    return {"name": "performance", "status": "ok", "metrics": {}, "findings": [], "details": {}, "settings": settings}


def minimal_audit(metrics: dict[str, Any] | None = None, run_id: str = "tiny-20260101-000000") -> dict[str, Any]:
    """A schema-valid audit document with *metrics* (performance measured under default settings)."""
    return {
        "schema_version": "1.0", "run_id": run_id, "kind": "audit", "status": "pass",
        "created_at": "2026-01-01T00:00:00+00:00", "spec": {"name": "tiny"},
        "policy": {"resolved": {"name": "p"}, "file": "p.yaml", "sha256": "0" * 64},
        "environment": {"python": "3.11", "platform": "linux", "libraries": {}},
        "seeds": {"train": 1, "split": 1},
        "data": {"files": [{"path": "d.csv", "sha256": "0" * 64}], "fingerprint": "0" * 64, "labels": ["neg", "pos"],
                 "positive_label": "pos", "sensitive": [], "sizes": {"train": 8, "validation": 2, "test": 2},
                 "provenance": {}},
        "model": {"base": "m", "method": "full", "weights_sha256": {}},
        "training": None,
        "checks": {"performance": _performance_check()},
        "metrics": dict(metrics or {}),
        "findings": [],
        "guards": {},
        "gate": {"status": "pass", "policy": "p", "results": []},
    }
