"""Image classification: image folders, tables of image paths and built-in Fashion-MNIST (:mod:`.data`), the task
(:mod:`.task`) and its shared predictions (:mod:`.predictions`)."""

from __future__ import annotations

from rai_ft.tasks.image_classification.data import load_image_data
from rai_ft.tasks.image_classification.predictions import ImagePredictions

__all__ = ["load_image_data", "ImagePredictions"]
