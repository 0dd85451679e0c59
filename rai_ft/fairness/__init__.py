"""Fairness measurement helpers (bootstrap intervals, counterfactual swaps) and mitigations (reweighing, thresholds)."""

__all__: list[str] = []
