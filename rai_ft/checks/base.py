"""The :class:`Check` base and the context every check reads (predictions computed once, shared)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

import numpy as np
import pandas as pd

from rai_ft.config.loading import StrictModel
from rai_ft.results import CheckResult, Finding

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.config import Policy, Spec
    from rai_ft.data.loading import DataBundle
    from rai_ft.modeling.predictor import Predictor

__all__ = ["Check", "CheckConfig", "Predictions", "AuditContext", "MSG_ONE_CLASS", "unmeasured_if_one_class"]

MSG_ONE_CLASS = ("{check}: the model predicts '{label}' for every one of the {n} test rows (which hold {k} labels); "
                 "a model that never changes its answer cannot flip, so {what} of 0 would mean nothing and is not "
                 "measured")


class CheckConfig(StrictModel):
    """Base of check configs (policy ``checks: {<name>: {...}}``); unknown keys are errors."""


@dataclass
class Predictions:
    """The model's predictions on the test split, computed once and shared by all checks.

    Attributes:
        y_true: Gold label indices, shape (n,).
        y_pred: Predicted label indices, shape (n,).
        proba: Class probabilities, shape (n, k), float64.
        labels: Label names, index i = class i.
        positive_index: Index of the favourable label for binary-style metrics.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray
    labels: list[str]
    positive_index: int
    # whether the audit context's ``texts`` are words (False: references to images, which no text check reads)
    inputs_are_text: ClassVar[bool] = True

    def __len__(self) -> int:
        return int(self.y_true.shape[0])

    def one_class(self) -> str | None:
        """The label the model gives every test row, where the gold labels hold several; else None."""
        if len(np.unique(self.y_pred)) == 1 and len(np.unique(self.y_true)) > 1:
            return self.labels[int(self.y_pred[0])]
        return None


@dataclass
class AuditContext:
    """Everything a check may read. Checks must not retrain or re-predict what is here.

    A check that needs new scores (counterfactual texts, attacks, explanations, training rows) asks ``predictor``,
    never the model: it maps the model's columns to the data's labels and decides as the deployed model does.
    """

    spec: "Spec"
    policy: "Policy"
    predictions: Predictions
    texts: list[str]
    sensitive: pd.DataFrame
    predictor: "Predictor | None" = None
    train_texts: list[str] = field(default_factory=list)
    train_labels: list[int] = field(default_factory=list)
    data: "DataBundle | None" = None  # every split as loaded (checks of the data itself read it)
    baseline: "Predictor | None" = None  # a twin trained without the data-changing guards, for before/after
    baseline_label: str | None = None
    members_known: bool = True  # the training rows are the ones this model was trained on (else no MIA)
    quiet: bool = False  # no progress bars


C = TypeVar("C", bound=CheckConfig)


class Check(Generic[C]):
    """One audit over its config type *C*. Subclasses (``class FairnessCheck(Check[FairnessConfig])``) set ``name``,
    ``config_model`` (= *C*), ``metric_patterns`` and implement :meth:`run`.

    ``metric_patterns`` lists every metric the check can emit; ``{attr}`` stands for a sensitive
    attribute (or an intersection ``a*b``). Policies may only threshold metrics listed here.
    """

    name: ClassVar[str] = "check"
    config_model: ClassVar[type[CheckConfig]] = CheckConfig
    metric_patterns: ClassVar[tuple[str, ...]] = ()
    # settings that change what the report shows but no metric (left out when a re-gate compares settings)
    presentation_settings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: C) -> None:
        self.config: C = config

    def run(self, ctx: AuditContext) -> CheckResult:  # pragma: no cover - abstract
        """Audit the model from *ctx* and return metrics, findings and details."""
        raise NotImplementedError


def unmeasured_if_one_class(check: Check, predictions: Predictions, what: str) -> CheckResult | None:
    """For a check whose number is a rate of changed answers: every metric None and a warn finding when the model
    gives one label to every test row (it cannot flip, so 0 would pass vacuously); None otherwise."""
    label = predictions.one_class()
    if label is None:
        return None
    msg = MSG_ONE_CLASS.format(check=check.name, label=label, n=len(predictions),
                               k=len(np.unique(predictions.y_true)), what=what)
    return CheckResult(name=check.name, metrics=dict.fromkeys(check.metric_patterns),
                       findings=[Finding("warn", msg, source=check.name)])
