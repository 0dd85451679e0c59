"""Image models: backbones (:mod:`.architectures`), the classifier (:mod:`.classifier`), the processor
(:mod:`.processor`) and the offline default ``builtin:efficientnet-lite0`` (:mod:`.builtin`)."""

from __future__ import annotations

from rai_ft.modeling.vision.architectures import ARCHITECTURES, build_backbone
from rai_ft.modeling.vision.builtin import efficientnet_lite0_dir
from rai_ft.modeling.vision.classifier import ImageClassifier, ImageConfig, load_image_classifier
from rai_ft.modeling.vision.processor import ImageProcessor

__all__ = ["ARCHITECTURES", "build_backbone", "efficientnet_lite0_dir", "ImageClassifier", "ImageConfig",
           "load_image_classifier", "ImageProcessor"]
