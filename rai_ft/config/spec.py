"""The run spec (``audits/*.yaml``): what to fine-tune, on which data, how, and under which policy."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from rai_ft.config.loading import StrictModel, load_model_file

__all__ = [
    "ADAPTER_METHODS",
    "AdapterConfig",
    "ModelConfig",
    "SplitConfig",
    "SampleConfig",
    "DataConfig",
    "EarlyStoppingConfig",
    "TrainConfig",
    "TrackingConfig",
    "Spec",
    "load_spec",
]

MAX_NAME_LENGTH = 100  # <name>-<stamp>-audit-<n> and the hidden staging prefix stay under 255 bytes

ADAPTER_METHODS = ("lora", "ia3", "prompt", "prefix", "adalora", "bitfit", "head", "full")

# Which optional adapter fields each method understands; anything else set explicitly is an error.
_METHOD_FIELDS: dict[str, set[str]] = {
    "lora": {"r", "alpha", "dropout", "target_modules"},
    "adalora": {"r", "alpha", "dropout", "target_modules", "target_r"},
    "ia3": {"target_modules", "feedforward_modules"},
    "prompt": {"num_virtual_tokens"},
    "prefix": {"num_virtual_tokens"},
    "bitfit": set(),
    "head": set(),
    "full": set(),
}
_OPTIONAL_FIELDS = {"r", "alpha", "dropout", "target_modules", "feedforward_modules", "target_r", "num_virtual_tokens"}


class AdapterConfig(StrictModel):
    """How the base model is adapted. ``method`` picks a PEFT method, BitFit, the head only or full fine-tuning."""

    method: Literal["lora", "ia3", "prompt", "prefix", "adalora", "bitfit", "head", "full"] = "lora"
    r: int = Field(8, ge=1, description="LoRA/AdaLoRA rank (AdaLoRA: initial rank).")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling alpha.")
    dropout: float = Field(0.1, ge=0, lt=1)
    target_modules: list[str] | None = Field(None, description="Module names to adapt; None = method default.")
    feedforward_modules: list[str] | None = None
    target_r: int = Field(4, ge=1, description="AdaLoRA target average rank.")
    num_virtual_tokens: int = Field(10, ge=1, le=256)

    @model_validator(mode="after")
    def _fields_apply_to_method(self) -> "AdapterConfig":
        allowed = _METHOD_FIELDS[self.method]
        wrong = sorted((self.model_fields_set & _OPTIONAL_FIELDS) - allowed)
        if wrong:
            raise ValueError(f"field {wrong[0]!r} does not apply to method {self.method!r}")
        return self


class ModelConfig(StrictModel):
    """The base model and its adapter."""

    base: str | None = Field(None, description="builtin:minilm, a Hugging Face model id, or a local directory; "
                                               "omitted: the task's offline default.")
    adapter: AdapterConfig = Field(default_factory=AdapterConfig)
    revision: str | None = Field(None, description="Hub revision (commit) to pin, for hub ids.")
    allow_pickle: bool = Field(False, description="Allow non-safetensors (pickled) weights. Off by default.")
    image_size: int | None = Field(None, ge=16, le=1024, description="Image tasks: the square input size in pixels "
                                                                      "images are resized to; omitted: the base's.")


class SplitConfig(StrictModel):
    """How one data source is split into train / validation / test (stratified by label)."""

    validation: float = Field(0.15, gt=0, lt=1)
    test: float = Field(0.25, gt=0, lt=1)
    seed: int = 13

    @model_validator(mode="after")
    def _fractions_leave_training_data(self) -> "SplitConfig":
        if self.validation + self.test >= 0.9:
            raise ValueError("validation + test must be below 0.9 so that training data remains")
        return self


class SampleConfig(StrictModel):
    """Optional caps on rows per split (a fixed random subset, seeded by the split seed)."""

    train: int | None = Field(None, ge=2)
    validation: int | None = Field(None, ge=2)
    test: int | None = Field(None, ge=2)


class DataConfig(StrictModel):
    """Where the labelled text comes from and which columns mean what."""

    source: str | None = Field(None, description="builtin:<name>, a csv/tsv/json/jsonl/parquet path, or hub:<id>.")
    train: str | None = Field(None, description="Explicit train file (instead of source + split).")
    validation: str | None = None
    test: str | None = None
    text: str | list[str] = "text"
    label: str = "label"
    positive_label: str | None = Field(None, description="Label treated as the favourable outcome (binary metrics).")
    sensitive: list[str] = Field(default_factory=list)
    image: str = Field("image", description="Image tasks: the column of image paths (relative to the table's folder).")
    bad_images: Literal["error", "skip"] = Field(
        "error", description="Image tasks: an unreadable image is an error naming the file (exit 2), or skipped and "
                             "counted in audit.json and the report.")
    split: SplitConfig = Field(default_factory=SplitConfig)
    sample: SampleConfig = Field(default_factory=SampleConfig)

    @field_validator("text")
    @classmethod
    def _text_not_empty(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list) and not v:
            raise ValueError("text needs at least one column")
        return v

    @model_validator(mode="after")
    def _one_way_to_get_data(self) -> "DataConfig":
        explicit = [self.train, self.validation, self.test]
        if self.source and any(explicit):
            raise ValueError("give either source (split automatically) or train/validation/test files, not both")
        if not self.source and not all(explicit):
            raise ValueError("give source, or all three of train, validation and test")
        return self

    @property
    def text_columns(self) -> list[str]:
        """The text column(s) as a list."""
        return [self.text] if isinstance(self.text, str) else list(self.text)


class EarlyStoppingConfig(StrictModel):
    """Stop when the validation metric has not improved for ``patience`` epochs; the best weights are restored."""

    patience: int = Field(2, ge=1)
    metric: Literal["loss", "accuracy", "macro_f1"] = "macro_f1"


class TrainConfig(StrictModel):
    """Training-loop settings."""

    epochs: int = Field(3, ge=1, le=1000)
    batch_size: int = Field(16, ge=1)
    learning_rate: float = Field(5e-4, gt=0)
    head_learning_rate: float | None = Field(
        None, gt=0, description="Learning rate of the new, randomly initialised output head (classifier/score); "
                                "None = learning_rate. A token classifier's head needs far more than its adapter: "
                                "at the adapter's rate it stays at all-O for epochs.")
    lr_schedule: Literal["constant", "linear"] = Field(
        "constant", description="constant, or linear decay to 0 at the end of the planned epochs (each parameter "
                                "group from its own rate).")
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="Share of training over which the rates rise linearly "
                                                              "from 0 (before the schedule; 0 = no warm-up).")
    optimizer: Literal["adamw", "sgd"] = Field("adamw", description="sgd (with momentum) suits DP training.")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum.")
    weight_decay: float = Field(0.0, ge=0)
    max_length: int = Field(128, ge=4, le=4096)
    seed: int = 13
    seeds: list[int] | None = Field(
        None, min_length=1, max_length=20,
        description="Train and audit one model per seed (overrides seed); the gate applies to the worst seed by "
                    "default (policy seed_aggregate).")
    max_grad_norm: float | None = Field(1.0, gt=0)
    early_stopping: EarlyStoppingConfig | None = Field(default_factory=EarlyStoppingConfig)
    eval_batch_size: int = Field(64, ge=1)

    @field_validator("seeds")
    @classmethod
    def _seeds_distinct(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError("seeds must be distinct")
        return v

    @property
    def all_seeds(self) -> list[int]:
        """The training seeds of this run (``seeds``, or ``[seed]``)."""
        return list(self.seeds) if self.seeds else [self.seed]


class TrackingConfig(StrictModel):
    """Optional experiment tracking (``pip install 'rai-ft[track]'``); local files unless a tracking URI is given."""

    tensorboard: bool = Field(False, description="Event files in <output>/tensorboard/<run>/.")
    mlflow: bool = Field(False, description="An MLflow run, by default in sqlite:///<output>/mlflow.db.")
    mlflow_tracking_uri: str | None = Field(None, description="Another MLflow store or server (your choice).")
    experiment: str | None = Field(None, description="MLflow experiment name (default: the spec name).")


class Spec(StrictModel):
    """One audited fine-tuning run."""

    name: str = Field(..., min_length=1, max_length=MAX_NAME_LENGTH, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="Run name: the run directory is <name>-<UTC time>, so it must fit a file name.")
    description: str = ""
    task: str = Field("text-classification", min_length=1,
                      description="What the model does (rai-ft validate lists the tasks; each has a default model).")
    model: ModelConfig = Field(default_factory=ModelConfig)
    data: DataConfig
    train: TrainConfig = Field(default_factory=TrainConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    policy: str = Field(..., description="Path to the policy YAML, relative to this spec file.")
    _source_file: str | None = PrivateAttr(None)

    @property
    def source_file(self) -> str | None:
        """The YAML file this spec was read from (set by :func:`load_spec`)."""
        return self._source_file

    def resolve_path(self, value: str) -> Path:
        """Resolve a path written in the spec relative to the spec file's folder."""
        p = Path(value).expanduser()
        if p.is_absolute() or self.source_file is None:
            return p
        return (Path(self.source_file).resolve().parent / p).resolve()


def load_spec(path: str | Path) -> Spec:
    """Load and validate a run spec; paths inside it resolve relative to its folder."""
    spec = load_model_file(path, Spec)
    spec._source_file = str(path)
    return spec
