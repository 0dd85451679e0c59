"""Task ``image-classification``: one label per image (a clothing class, a diagnosis, a defect).

Data: an image folder (one subfolder per class), a table of image paths with labels and optional sensitive or
condition columns, or ``builtin:fashion-mnist`` (:mod:`.data`); model: a registered backbone with a linear head
(:mod:`rai_ft.modeling.vision`; offline default ``builtin:efficientnet-lite0``), resized to ``model.image_size``;
predictor: the generic :class:`~rai_ft.modeling.predictor.Predictor` (the image processor is called as a tokenizer
is), so group thresholds and every label-order rule hold for images as for texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rai_ft.data.image_augment import DEFAULT_IMAGE_AUGMENTATIONS, IMAGE_AUGMENTATIONS
from rai_ft.data.loading import LABEL, TEXT, DataBundle
from rai_ft.modeling.predictor import Predictor
from rai_ft.tasks.base import Task
from rai_ft.tasks.image_classification.data import load_image_data, spec_root
from rai_ft.tasks.image_classification.predictions import ImagePredictions

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from rai_ft.config import Spec
    from rai_ft.training.context import TrainContext

__all__ = ["ImageClassification"]


class ImageClassification(Task):
    """An image classifier fine-tuned on labelled images."""

    name = "image-classification"
    default_base = "builtin:efficientnet-lite0"
    checks = ("performance", "fairness", "privacy", "image_robustness", "image_attribution", "documentation")
    guards = ("dp", "augment", "image_adversarial")  # dp: see rai_ft.guards.dp on batch norms
    data_fields = ("image", "label", "positive_label", "sensitive", "bad_images")
    model_fields = ("image_size",)
    default_checks = ("performance", "fairness", "privacy")
    adapter_methods = ("lora", "head", "bitfit", "full")
    default_adapter = "full"
    peft_task_type = ""  # not a transformers task model: LoRA adapts the network's own layers, keeps the head
    word_level_noise = False
    augmentations = tuple(IMAGE_AUGMENTATIONS)
    default_augmentations = DEFAULT_IMAGE_AUGMENTATIONS

    def load_data(self, spec: "Spec") -> DataBundle:
        """The spec's images, screened and split (stratified by label, seeded)."""
        return load_image_data(spec)

    def load_processor(self, location: str, spec: "Spec") -> Any:
        """The base's image processor at ``model.image_size`` (else the base's own size), reading image references
        relative to the spec's folder."""
        from rai_ft.modeling.vision.processor import ImageProcessor

        return ImageProcessor.from_pretrained(location, spec.model.image_size, spec_root(spec))

    def load_model(self, location: str, labels: list[str], revision: str | None, allow_pickle: bool) -> Any:
        """The base network with a head for *labels* (safetensors only)."""
        from rai_ft.modeling.vision.classifier import load_image_classifier

        return load_image_classifier(location, labels)

    def load_saved(self, model_dir: str | Path, labels: list[str], allow_pickle: bool,
                   spec: "Spec") -> tuple[Any, Any, dict[str, Any]]:
        """A saved image model, its processor (at ``model.image_size`` if set) and its metadata."""
        import json

        from rai_ft.modeling.artifacts import META_FILE
        from rai_ft.modeling.vision.classifier import load_image_classifier, read_image_config

        path = Path(model_dir)
        meta_path = path / META_FILE
        own = read_image_config(path).id2label
        model_labels = [own[i] for i in range(len(own))]
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {
            "base": str(path), "method": "external", "peft": False}
        meta.setdefault("labels", model_labels)
        model = load_image_classifier(path, model_labels)
        model.eval()
        return model, self.load_processor(str(path), spec), meta

    def predictor(self, model: Any, tokenizer: Any, spec: "Spec", labels: list[str],
                  model_labels: list[str] | None = None) -> Predictor:
        """Probabilities in the data's label order."""
        return Predictor(model, tokenizer, labels, model_labels=model_labels, batch_size=spec.train.eval_batch_size)

    def predict(self, predictor: Predictor, data: DataBundle, progress: bool = True) -> ImagePredictions:
        """Probabilities and decisions as deployed on the test images."""
        proba = predictor.proba(data.test[TEXT].tolist(), desc="predict test", progress=progress)
        return ImagePredictions(y_true=data.test[LABEL].to_numpy(),
                                y_pred=predictor.decide(proba, np.arange(len(proba))), proba=proba,
                                labels=data.labels, positive_index=data.positive_index)

    def data_summary(self, data: DataBundle) -> dict[str, Any]:
        """Test images per label."""
        counts = data.test[LABEL].value_counts().to_dict()
        return {"test": {data.labels[int(k)]: int(v) for k, v in counts.items()}}

    def train_dataset(self, ctx: "TrainContext") -> Any:
        """The training images decoded once, with label indices and per-row loss weights."""
        from rai_ft.tasks.image_classification.dataset import PixelDataset

        train = ctx.data.train
        return PixelDataset(ctx.tokenizer, train[TEXT].tolist(), train[LABEL].tolist(), ctx.sample_weights,
                            progress=not ctx.quiet)

    def extra_dataset(self, ctx: "TrainContext", examples: list[tuple[Any, Any]]) -> Any:
        """(image reference, label index) pairs from the guards."""
        from rai_ft.tasks.image_classification.dataset import PixelDataset

        return PixelDataset(ctx.tokenizer, [r for r, _ in examples], [y for _, y in examples])

    def train_examples(self, data: DataBundle, rows: Sequence[int]) -> list[tuple[Any, Any]]:
        """(image reference, label index) pairs."""
        train = data.train.iloc[list(rows)]
        return [(r, int(y)) for r, y in zip(train[TEXT], train[LABEL])]

    def noisy_copy(self, example: tuple[Any, Any], transformations: Sequence[str], word_fraction: float,
                   rng: np.random.Generator, wordnet: bool = False) -> tuple[Any, Any]:
        """The image with the named augmentations, their settings seeded from *rng* (decoded and applied when the
        epoch's extra images are; *word_fraction* is for text)."""
        from rai_ft.tasks.image_classification.dataset import AugmentedImage

        ref, label = example
        return AugmentedImage(ref, tuple(transformations), int(rng.integers(2**31))), label

    def make_private_compatible(self, model: Any) -> str | None:
        """Batch norms that train become group norms (:mod:`rai_ft.modeling.vision.norms`); frozen ones (a linear
        probe) stay: fixed per-channel maps, private as they are."""
        from rai_ft.modeling.vision.norms import has_trainable_batch_norm

        if not has_trainable_batch_norm(model):
            return None
        n = model.use_group_norm()
        return (f"dp: replaced the network's {n} batch norms by group norms (Opacus cannot train batch norms "
                "privately); their running statistics are gone, so pretrained features shift until trained")

    def loss(self, logits: "torch.Tensor", labels: "torch.Tensor", weights: "torch.Tensor | None",
             criterion: Any = None, per_example: bool = False) -> "torch.Tensor":
        """Cross-entropy, a mean over images (weighted by row when reweighing)."""
        import torch.nn.functional as F

        if weights is not None:
            return (F.cross_entropy(logits, labels, reduction="none") * weights).sum() / weights.sum()
        return (criterion or F.cross_entropy)(logits, labels)

    def validate(self, model: Any, ctx: "TrainContext") -> dict[str, float]:
        """Loss, accuracy and macro-F1 on the validation images."""
        from rai_ft.tasks.text_classification import validation_metrics

        val = ctx.data.validation
        return validation_metrics(model, ctx.tokenizer, val[TEXT].tolist(), val[LABEL].to_numpy(), 0,
                                  ctx.spec.train.eval_batch_size)
