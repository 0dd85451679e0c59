"""Token attributions: Captum Integrated Gradients and SHAP, rolled up to words."""

from rai_ft.explain.ig import IntegratedGradients
from rai_ft.explain.shap_text import ShapText
from rai_ft.explain.terms import DEFAULT_TERMS
from rai_ft.explain.words import WordAttribution, spearman, to_words, words_of

__all__ = ["IntegratedGradients", "ShapText", "DEFAULT_TERMS", "WordAttribution", "spearman", "to_words", "words_of"]
