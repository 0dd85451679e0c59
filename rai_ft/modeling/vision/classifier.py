"""The image classifier: a registered backbone and a linear head, saved as ``config.json`` + ``model.safetensors``.

It answers like a Hugging Face classifier (its output's ``logits``, ``config.id2label``,
``save_pretrained``) so that the training loop, the predictor and the record treat it as any other model. Weights
are only ever read from safetensors.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rai_ft.errors import MSG_MODEL_LOAD, SpecError
from rai_ft.modeling.vision.architectures import LORA_TARGETS, build_backbone
from rai_ft.modeling.vision.norms import batch_to_group_norm

__all__ = ["ImageConfig", "ImageClassifier", "ImageOutput", "MODEL_TYPE", "WEIGHTS", "load_image_classifier",
           "MSG_NOT_IMAGE_MODEL"]

MODEL_TYPE = "rai-ft-image"
WEIGHTS = "model.safetensors"
MSG_NOT_IMAGE_MODEL = ("{path} is not a rai-ft image model (config.json has model_type {found!r}, not "
                       f"{MODEL_TYPE!r}); image bases are builtin:efficientnet-lite0 or a folder rai-ft saved")


@dataclass
class ImageConfig:
    """What rebuilds the network: architecture, input size and channels, labels, pixel normalisation."""

    architecture: str
    image_size: int
    channels: int = 3
    id2label: dict[int, str] = field(default_factory=dict)
    mean: float = 0.5
    std: float = 0.5
    dropout: float = 0.0
    norm: str = "batch"  # "group": the backbone's batch norms were replaced by group norms (trained privately)
    model_type: str = MODEL_TYPE

    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @property
    def label2id(self) -> dict[str, int]:
        return {v: k for k, v in self.id2label.items()}

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "ImageConfig":
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        known["id2label"] = {int(k): str(v) for k, v in (raw.get("id2label") or {}).items()}
        return cls(**known)


@dataclass
class ImageOutput:
    """The forward pass's result, named as transformers names it."""

    logits: torch.Tensor


class ImageClassifier(nn.Module):
    """``backbone`` (pixels -> features), ``dropout`` and ``classifier`` (features -> one logit per label)."""

    merge_adapters_on_save = True  # a LoRA-trained classifier is saved merged: one self-contained network

    def __init__(self, config: ImageConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone, width = build_backbone(config.architecture, config.image_size, config.channels)
        if config.norm == "group":
            batch_to_group_norm(self.backbone)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(width, max(1, config.num_labels))

    @property
    def lora_target_modules(self) -> str | None:
        """The layers LoRA adapts when ``model.adapter.target_modules`` is unset."""
        return LORA_TARGETS.get(self.config.architecture)

    def forward(self, pixel_values: torch.Tensor) -> ImageOutput:
        return ImageOutput(logits=self.classifier(self.dropout(self.backbone(pixel_values))))

    def train(self, mode: bool = True) -> "ImageClassifier":
        """Train mode, except batch norms whose weights are frozen (head-only, BitFit's frozen scales): they keep
        their pretrained running statistics, or a frozen network would drift with every training batch."""
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.weight is not None and not m.weight.requires_grad:
                m.eval()
        return self

    def use_group_norm(self) -> int:
        """Replace the backbone's batch norms by group norms (:mod:`.norms`; saved in the config, so the model
        loads as trained); returns how many were replaced."""
        replaced = batch_to_group_norm(self.backbone)
        self.config.norm = "group"
        return replaced

    def save_pretrained(self, out_dir: str | Path, safe_serialization: bool = True) -> None:
        """``config.json`` and ``model.safetensors`` (contiguous copies of every tensor)."""
        from safetensors.torch import save_file

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(self.config.to_json(), indent=2), encoding="utf-8")
        save_file({k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}, str(out / WEIGHTS))


def read_image_config(path: Path) -> ImageConfig:
    """The image config of a model folder; a folder of another kind is refused in one line."""
    try:
        raw = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecError(MSG_MODEL_LOAD.format(base=str(path), detail=str(exc).splitlines()[0]),
                        field="model.base") from None
    if not isinstance(raw, dict) or raw.get("model_type") != MODEL_TYPE:
        found = raw.get("model_type") if isinstance(raw, dict) else None
        raise SpecError(MSG_NOT_IMAGE_MODEL.format(path=path, found=found), field="model.base")
    return ImageConfig.from_json(raw)


def load_image_classifier(location: str | Path, labels: list[str], image_size: int | None = None) -> ImageClassifier:
    """The model saved at *location* with a head for *labels*: its own head when it was trained on these labels
    (in any order: the rows are reordered), else a new one. *image_size* overrides the saved input size."""
    from safetensors.torch import load_file

    path = Path(location)
    saved = read_image_config(path)
    config = ImageConfig(saved.architecture, image_size or saved.image_size, saved.channels,
                         dict(enumerate(labels)), saved.mean, saved.std, saved.dropout, saved.norm)
    model = ImageClassifier(config)
    state = load_file(str(path / WEIGHTS))
    own = [saved.id2label[i] for i in range(saved.num_labels)]
    if sorted(own) == sorted(labels):
        rows = torch.tensor([own.index(label) for label in labels])
        state["classifier.weight"], state["classifier.bias"] = (state["classifier.weight"][rows],
                                                                state["classifier.bias"][rows])
    else:
        state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    bad = [k for k in missing if not k.startswith("classifier.")] + list(unexpected)
    if bad:
        raise SpecError(MSG_MODEL_LOAD.format(base=str(path), detail=f"weights do not fit {saved.architecture}: "
                                              f"{', '.join(bad[:3])}"), field="model.base")
    return model
