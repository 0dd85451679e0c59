"""Guards: one module per guard, each a :class:`Guard` over its config. Registered in :mod:`rai_ft.registry`."""

from __future__ import annotations

from rai_ft.guards.base import Guard, GuardConfig

__all__ = ["Guard", "GuardConfig"]
