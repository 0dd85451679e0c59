"""Offline adversarial attacks on text classifiers: recipes, transformations and the batched engine."""

from rai_ft.robustness.attack import AttackResult, AttackRun, run_attack
from rai_ft.robustness.recipes import DOWNLOAD_RECIPES, RECIPES, Recipe, get_recipe

__all__ = ["AttackResult", "AttackRun", "run_attack", "Recipe", "RECIPES", "DOWNLOAD_RECIPES", "get_recipe"]
