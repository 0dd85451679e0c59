"""Guard ``dp``: differentially private training with Opacus, to an (ε, δ) budget set by the policy.

Preflight (before any training): the task changes what DP-SGD cannot train (an image network's trainable batch
norms become group norms), then Opacus' ModuleValidator, then one trial forward/backward of a copy of the
model under the requested grad-sample mode on two training examples. Anything Opacus cannot make private
is refused there with one line (exit 2), never mid-run. Full fine-tuning freezes the embedding tables
(Opacus' per-sample gradients for BERT embeddings fail on the shared position-id buffer).

The guarantee covers the training split only: the validation split used for early stopping, the
pre-training data of the base model and the test split are not protected by it.
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any, Literal

import torch
from pydantic import Field, field_validator

from rai_ft.errors import MissingExtraError, UnsupportedError
from rai_ft.guards.base import Guard, GuardConfig, PrivacySpend
from rai_ft.results import Finding
from rai_ft.training.batches import make_loader

MSG_BATCHNORM_HINT = ("; adapter 'head' keeps the batch norms frozen (a private linear probe), or use a network "
                      "without batch norm")
MSG_NO_POISSON = ("dp: poisson_sampling is false; the accountant's ε assumes Poisson sampling, so with fixed-size "
                  "shuffled batches the reported ε is not a proven guarantee")

MSG_GHOST_TASK = ("dp: clipping 'ghost' needs one loss per example from a loss object; task {task!r} computes its loss "
                  "per token, so use clipping 'flat' or 'per_layer'")

__all__ = ["MSG_NO_POISSON", "MSG_GHOST_TASK", "MSG_BATCHNORM_HINT", "DPConfig", "DPGuard", "auto_delta",
           "COVERAGE_NOTE"]

COVERAGE_NOTE = (
    "The (ε, δ) guarantee covers the training split only. It does not cover the validation split (used for "
    "early stopping and model selection), the test split, or the base model's pre-training data."
)
_GRAD_SAMPLE_MODE = {"flat": "hooks", "per_layer": "hooks", "ghost": "ghost"}


def auto_delta(n: int) -> float:
    """δ below 1/N: ``1 / (10·N)`` rounded down to one significant digit (N = 2,000 → 5e-05)."""
    raw = 1.0 / (10 * max(n, 1))
    exponent = math.floor(math.log10(raw))
    return math.floor(raw / 10**exponent) * 10**exponent


class DPConfig(GuardConfig):
    """Policy settings of the ``dp`` guard."""

    target_epsilon: float = Field(8.0, gt=0, le=100)
    delta: Literal["auto"] | float = "auto"
    max_grad_norm: float = Field(1.0, gt=0)
    accountant: Literal["rdp", "prv", "gdp"] = "rdp"
    clipping: Literal["flat", "per_layer", "ghost"] = "flat"
    poisson_sampling: bool = True
    max_physical_batch_size: int | None = Field(None, ge=1, description="Virtual batches: split logical batches.")

    @field_validator("delta")
    @classmethod
    def _delta_range(cls, v: str | float) -> str | float:
        if isinstance(v, float) and not 0 < v < 1:
            raise ValueError("delta must be in (0, 1) or 'auto'")
        return v


class _MemoryManagedLoader:
    """Iterates a DP loader through Opacus' BatchMemoryManager (logical batch > physical batch)."""

    def __init__(self, loader: Any, optimizer: Any, max_physical: int) -> None:
        self.loader, self.optimizer, self.max_physical = loader, optimizer, max_physical

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        from opacus.utils.batch_memory_manager import BatchMemoryManager

        with BatchMemoryManager(data_loader=self.loader, max_physical_batch_size=self.max_physical,
                                optimizer=self.optimizer) as loader:
            yield from loader


class DPGuard(Guard[DPConfig]):
    """Train with DP-SGD (Opacus) to the policy's target ε."""

    name = "dp"
    private_ddp = True
    config_model = DPConfig
    metric_patterns = ("privacy.epsilon", "privacy.delta", "privacy.noise_multiplier")

    def __init__(self, config: DPConfig) -> None:
        super().__init__(config)
        # Known-harmless chatter: Opacus' hooks on modules whose inputs need no grad, and its RNG notice
        # (secure_mode needs torchcsprng, which has no wheel for this torch).
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        warnings.filterwarnings("ignore", message="Secure RNG turned off")
        warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
        warnings.filterwarnings("ignore", message="GDP accounting is experimental")  # a finding says it instead
        self.engine: Any = None
        self.delta: float = 0.0
        self.frozen: list[str] = []
        self.optimizer: Any = None
        self._epsilon: float | None = None  # fixed once training ends
        self._findings: list[Finding] = []
        self._planned_rate = 0.0

    # -- preflight ---------------------------------------------------------------------------------
    def preflight(self, ctx: Any) -> None:
        """Refuse combinations Opacus cannot make private, before any training."""
        try:
            import opacus  # noqa: F401
        except ImportError:
            raise MissingExtraError("the dp guard", "opacus", "dp") from None
        cfg = self.config
        method = ctx.spec.model.adapter.method
        if cfg.clipping == "ghost" and not ctx.task.loss_takes_criterion:
            raise UnsupportedError(MSG_GHOST_TASK.format(task=ctx.task.name), field="guards.dp.clipping")
        self.delta = auto_delta(ctx.train_size) if cfg.delta == "auto" else float(cfg.delta)
        if method == "full":
            for name, module in ctx.model.named_modules():
                if isinstance(module, torch.nn.Embedding):
                    for pname, p in module.named_parameters():
                        if p.requires_grad:
                            p.requires_grad = False
                            self.frozen.append(f"{name}.{pname}")
            if self.frozen:
                self._findings.append(Finding("info", f"dp: froze {len(self.frozen)} embedding table(s) for "
                                              "private full fine-tuning", source=self.name,
                                              details={"frozen": self.frozen}))
        if ctx.spec.train.optimizer == "adamw":
            self._findings.append(Finding(
                "info", "dp: AdamW rescales the DP noise per coordinate, which drowns the signal unless the learning "
                "rate is small; train.optimizer: sgd (DP-SGD with momentum) usually learns better under DP",
                source=self.name))
        from opacus.validators import ModuleValidator

        if (changed := ctx.task.make_private_compatible(ctx.model)) is not None:
            self._findings.append(Finding("info", changed, source=self.name))
        ctx.model.train()
        errors = ModuleValidator.validate(ctx.model, strict=False)
        if errors:
            first = str(errors[0]).splitlines()[0].split(". ")[0]
            hint = MSG_BATCHNORM_HINT if "BatchNorm" in first else ""
            raise UnsupportedError(f"Opacus cannot make this model private: {first}{hint}", field="guards.dp")
        self._trial_step(ctx, method)

    def _trial_step(self, ctx: Any, method: str) -> None:
        """One private step of a *copy* of the model on two training examples, through the exact Opacus path.

        The copy is discarded: nothing trained here is released, so no privacy budget is spent.
        """
        from opacus import PrivacyEngine

        cfg = self.config
        trial = copy.deepcopy(ctx.model).train()
        opt = torch.optim.SGD([p for p in trial.parameters() if p.requires_grad], lr=0.0)
        dataset = ctx.task.extra_dataset(ctx, ctx.task.train_examples(ctx.data, range(min(2, ctx.train_size))))
        loader = make_loader(dataset, ctx.tokenizer, 2, 0)
        try:
            out = PrivacyEngine(accountant=cfg.accountant).make_private(
                noise_multiplier=1.0, poisson_sampling=False, **self._private_kwargs(trial, opt, loader))
            model, opt, criterion, loader = out if cfg.clipping == "ghost" else (*out[:2], None, out[2])
            batch = next(iter(loader))
            labels = batch.pop("labels")
            ctx.task.loss(model(**batch).logits, labels, None, criterion, per_example=True).backward()
            opt.step()
        except Exception as exc:  # noqa: BLE001 - any failure here is a refusal, before training
            reason = str(exc).splitlines()[0][:160]
            raise UnsupportedError(f"adapter {method!r} with clipping {cfg.clipping!r} cannot be trained "
                                   f"privately with Opacus ({type(exc).__name__}: {reason})",
                                   field="guards.dp") from None

    def _private_kwargs(self, model: Any, optimizer: Any, loader: Any) -> dict[str, Any]:
        cfg = self.config
        kwargs: dict[str, Any] = {
            "module": model, "optimizer": optimizer, "data_loader": loader,
            "max_grad_norm": self._max_grad_norm(model),
            "clipping": "per_layer" if cfg.clipping == "per_layer" else "flat",
            "grad_sample_mode": _GRAD_SAMPLE_MODE[cfg.clipping],
        }
        if cfg.clipping == "ghost":
            kwargs["criterion"] = torch.nn.CrossEntropyLoss()
        return kwargs

    # -- wrapping ----------------------------------------------------------------------------------
    def wrap_training(self, model: Any, optimizer: Any, loader: Any, ctx: Any) -> tuple[Any, Any, Any]:
        """make_private_with_epsilon on model, optimizer and loader together."""
        from opacus import PrivacyEngine

        cfg = self.config
        self.engine = PrivacyEngine(accountant=cfg.accountant)
        self._planned_rate = self._accounted_rate_for(len(loader))
        out = self.engine.make_private(
            noise_multiplier=self._noise_for(self._planned_rate, ctx.spec.train.epochs),
            poisson_sampling=cfg.poisson_sampling, **self._private_kwargs(model, optimizer, loader))
        if cfg.clipping == "ghost":
            model, optimizer, criterion, loader = out
            ctx.criterion = criterion
        else:
            model, optimizer, loader = out
        self.optimizer = optimizer
        ctx.clip_gradients = False  # Opacus clips per sample
        ctx.per_example_loss = True  # ... and each sample's gradient must be its own
        if cfg.max_physical_batch_size:
            loader = _MemoryManagedLoader(loader, optimizer, cfg.max_physical_batch_size)
        return model, optimizer, loader

    def _max_grad_norm(self, model: Any) -> float | list[float]:
        cfg = self.config
        if cfg.clipping != "per_layer":
            return cfg.max_grad_norm
        n = sum(1 for p in model.parameters() if p.requires_grad)
        return [cfg.max_grad_norm / math.sqrt(n)] * n  # same total norm bound as flat clipping

    def on_train_end(self, ctx: Any) -> None:
        """Hand back the plain model (no Opacus hooks) for prediction and saving."""
        if hasattr(ctx.model, "to_standard_module"):
            ctx.model = ctx.model.to_standard_module()
        self._epsilon = self.epsilon()  # metrics, summary, findings and the ledger all read this one value

    # -- results -----------------------------------------------------------------------------------
    def epsilon(self) -> float | None:
        """ε spent so far (None before training); computed once when training has ended."""
        if self._epsilon is not None:
            return self._epsilon
        if self.engine is None:
            return None
        return float(self.engine.get_epsilon(self.delta))

    def _accounted_rate_for(self, n_batches: int) -> float:
        """The sample rate Opacus' accountant will compose for a loader of *n_batches*.

        Opacus samples at q = 1/n_batches but accounts 1/len(its Poisson loader) = 1/int(1/q), which is 1/(n - 1)
        when 1/q rounds down (n = 93, 99, 105, ...). make_private_with_epsilon calibrates the noise for q, so ε
        ended above the target there; the noise is calibrated here for the rate that is accounted.
        """
        return 1.0 / (int(1 / (1 / n_batches)) if self.config.poisson_sampling else n_batches)

    def _noise_for(self, sample_rate: float, epochs: int) -> float:
        """Noise multiplier that spends at most target_epsilon in *epochs* at *sample_rate*."""
        from opacus.accountants.utils import get_noise_multiplier

        cfg = self.config
        return float(get_noise_multiplier(target_epsilon=cfg.target_epsilon, target_delta=self.delta,
                                          sample_rate=sample_rate, steps=epochs * round(1 / sample_rate),
                                          accountant=cfg.accountant))

    def _accounted_rate(self) -> float:
        """The sample rate the accountant composed (its history), else the one Opacus was set up with."""
        history = self.engine.accountant.history if self.engine is not None else []
        rates = {rate for _, rate, _ in history}
        if len(rates) > 1:
            raise RuntimeError(f"dp: the accountant composed several sample rates {sorted(rates)}")
        return float(rates.pop()) if rates else self._planned_rate

    def steps(self) -> int:
        """Noise steps the accountant recorded."""
        if self.engine is None:
            return 0
        return int(sum(n for _, _, n in self.engine.accountant.history))

    def privacy_spent(self) -> PrivacySpend:
        """(ε, δ) of this training, for the privacy ledger."""
        return PrivacySpend(self.epsilon(), self.delta, self.config.accountant)

    def metrics(self) -> dict[str, float | None]:
        """privacy.epsilon / delta / noise_multiplier for the gate."""
        return {"privacy.epsilon": self.epsilon(), "privacy.delta": self.delta,
                "privacy.noise_multiplier": float(self.optimizer.noise_multiplier) if self.optimizer else None}

    def summary(self) -> dict[str, Any]:
        """Everything needed to recompute ε independently."""
        cfg = self.config
        return {
            "epsilon": self.epsilon(), "delta": self.delta, "target_epsilon": cfg.target_epsilon,
            "accountant": cfg.accountant,
            "noise_multiplier": float(self.optimizer.noise_multiplier) if self.optimizer else None,
            "sample_rate": self._accounted_rate(), "steps": self.steps(), "max_grad_norm": cfg.max_grad_norm,
            "clipping": cfg.clipping, "poisson_sampling": cfg.poisson_sampling,
            "frozen_parameters": self.frozen, "covers": "training split only", "note": COVERAGE_NOTE,
        }

    def findings(self) -> list[Finding]:
        """What a reviewer should read about the guarantee."""
        eps = self.epsilon()
        out = list(self._findings)
        if not self.config.poisson_sampling:
            out.append(Finding("warn", MSG_NO_POISSON, source=self.name))
        if self.config.accountant == "gdp":
            out.append(Finding("warn", "dp: the GDP accountant is experimental in Opacus and can underestimate ε; "
                               "prefer rdp or prv for a release", source=self.name))
        if eps is not None:
            out.append(Finding("info", f"dp: trained with ({eps:.3g}, {self.delta:.1e})-differential privacy "
                               f"({self.config.accountant} accountant). {COVERAGE_NOTE}", source=self.name))
        return out
