"""Reweighing (Kamiran & Calders 2012): sample weights that make the label independent of the group."""

from __future__ import annotations

import numpy as np

__all__ = ["reweighing_weights"]


def reweighing_weights(groups: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """w(g, y) = P(g) P(y) / P(g, y) for each row; the weighted data has P_w(y | g) = P(y) for every group."""
    groups, labels = np.asarray(groups).astype(str), np.asarray(labels)
    n = len(labels)
    w = np.ones(n)
    for g in np.unique(groups):
        mg = groups == g
        for y in np.unique(labels):
            cell = mg & (labels == y)
            if cell.any():
                w[cell] = (mg.sum() / n) * ((labels == y).sum() / n) / (cell.sum() / n)
    return w
