"""Model loading, adapters, inference and saved artefacts."""

from rai_ft.modeling.adapters import ADAPTERS, apply_adapter, count_parameters
from rai_ft.modeling.artifacts import load_saved_model, save_model
from rai_ft.modeling.inference import predict_proba
from rai_ft.modeling.loading import load_classifier, load_tokenizer, resolve_base

__all__ = ["ADAPTERS", "apply_adapter", "count_parameters", "load_saved_model", "save_model", "predict_proba",
           "load_classifier", "load_tokenizer", "resolve_base"]
