"""Spec and policy models (pydantic, ``extra="forbid"``) and their YAML loaders."""

from rai_ft.config.loading import StrictModel, read_yaml
from rai_ft.config.policy import Policy, Threshold, read_policy
from rai_ft.config.spec import ADAPTER_METHODS, Spec, load_spec

__all__ = ["StrictModel", "read_yaml", "Policy", "Threshold", "read_policy", "ADAPTER_METHODS", "Spec", "load_spec"]
