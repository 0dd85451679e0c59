"""Checks: one module per check, each a :class:`Check` over its config. Registered in :mod:`rai_ft.registry`."""

from __future__ import annotations

from rai_ft.checks.base import AuditContext, Check, CheckConfig, Predictions

__all__ = ["Check", "CheckConfig", "AuditContext", "Predictions"]
