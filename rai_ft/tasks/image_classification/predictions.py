"""The shared test predictions of an image classifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rai_ft.checks.base import Predictions

__all__ = ["ImagePredictions"]


@dataclass
class ImagePredictions(Predictions):
    """:class:`~rai_ft.checks.base.Predictions` over test *images*: the audit context's ``texts`` are image
    references (paths), so the checks that read words (the PII scan, the text-only shift control) skip them."""

    inputs_are_text: ClassVar[bool] = False
