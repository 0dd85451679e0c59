"""Tasks: one module (or folder) per task, each a :class:`Task`. Registered in :mod:`rai_ft.registry`."""

from __future__ import annotations

from rai_ft.tasks.base import Task

__all__ = ["Task"]
