"""Adapter methods: PEFT (LoRA, IA3, prompt, prefix, AdaLoRA), BitFit (ours), head only and full fine-tuning.

Each method is one function ``(model, config, total_steps, task_type) -> model`` registered in ``ADAPTERS``.
The classification head is always trainable (PEFT keeps it via ``modules_to_save``).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from rai_ft.config.spec import AdapterConfig
from rai_ft.errors import UnsupportedError

__all__ = ["ADAPTERS", "apply_adapter", "count_parameters", "is_peft", "head_names", "head_parameters"]

HEAD_MODULES = ("classifier", "score", "pre_classifier")  # the output head's module names in HF task models


def head_names(model: torch.nn.Module) -> list[str]:
    """Names of the classification head's top-level modules (``classifier``, ``score`` …)."""
    return [n for n in HEAD_MODULES if hasattr(model, n)]


def head_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The trainable parameters of the output head, found through any wrapper (peft, Opacus, DDP)."""
    found: dict[int, torch.nn.Parameter] = {}
    for name, module in model.named_modules():
        if name.rsplit(".", 1)[-1] in HEAD_MODULES:
            found.update({id(p): p for p in module.parameters() if p.requires_grad})
    return list(found.values())


def _peft(model: torch.nn.Module, peft_config: Any) -> torch.nn.Module:
    from peft import get_peft_model

    try:
        return get_peft_model(model, peft_config)
    except ValueError as exc:
        raise UnsupportedError(
            f"{str(exc).splitlines()[0]} (set model.adapter.target_modules for this architecture)",
            field="model.adapter") from None


def _alpha(cfg: AdapterConfig) -> Any:
    """LoRA's alpha as given (peft annotates it int; a float scales the same and is kept as written)."""
    return cfg.alpha


def _lora(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    """LoRA. A model that is not a transformers task model (*task_type* ``""``: an image classifier) names its own
    default ``lora_target_modules`` (its linear and convolution layers peft can adapt), and its head is kept
    trainable through ``modules_to_save``."""
    from peft import LoraConfig, TaskType

    if task_type:
        return _peft(model, LoraConfig(task_type=TaskType[task_type], r=cfg.r, lora_alpha=_alpha(cfg),
                                       lora_dropout=cfg.dropout, target_modules=cfg.target_modules))
    targets = cfg.target_modules or getattr(model, "lora_target_modules", None)
    return _peft(model, LoraConfig(r=cfg.r, lora_alpha=_alpha(cfg), lora_dropout=cfg.dropout, target_modules=targets,
                                   modules_to_save=head_names(model)))


def _adalora(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    from peft import AdaLoraConfig, TaskType

    if cfg.target_r > cfg.r:
        raise UnsupportedError("target_r must not exceed r (the initial rank)", field="model.adapter.target_r")
    steps = max(total_steps, 4)
    tinit, tfinal = max(1, steps // 10), max(1, steps // 5)
    if tinit + tfinal >= steps:  # very short runs: budget pruning over the middle step(s)
        tinit, tfinal = 1, 1
    return _peft(model, AdaLoraConfig(task_type=TaskType[task_type], init_r=cfg.r, target_r=cfg.target_r,
                                      lora_alpha=_alpha(cfg), lora_dropout=cfg.dropout,
                                      target_modules=cfg.target_modules, total_step=steps,
                                      tinit=tinit, tfinal=tfinal, deltaT=max(1, steps // 20)))


def _ia3(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    from peft import IA3Config, TaskType

    return _peft(model, IA3Config(task_type=TaskType[task_type], target_modules=cfg.target_modules,
                                  feedforward_modules=cfg.feedforward_modules))


def _prompt(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    from peft import PromptTuningConfig, TaskType

    return _peft(model, PromptTuningConfig(task_type=TaskType[task_type], num_virtual_tokens=cfg.num_virtual_tokens))


def _prefix(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    from peft import PrefixTuningConfig, TaskType

    return _peft(model, PrefixTuningConfig(task_type=TaskType[task_type], num_virtual_tokens=cfg.num_virtual_tokens))


def _bitfit(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    """BitFit (Ben Zaken et al., 2022): train only bias terms, plus the classification head."""
    heads = tuple(f"{h}." for h in head_names(model))
    for name, param in model.named_parameters():
        param.requires_grad = name.endswith(".bias") or name.startswith(heads)
    return model


def _head(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    """Head only (a linear probe): the pretrained network is frozen; only the new output head learns."""
    heads = tuple(f"{h}." for h in head_names(model))
    if not heads:
        raise UnsupportedError("adapter 'head' found no output head (classifier/score) in this model",
                               field="model.adapter.method")
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith(heads)
    return model


def _full(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int, task_type: str) -> torch.nn.Module:
    for param in model.parameters():
        param.requires_grad = True
    return model


# method -> function. Registered explicitly, one line each.
ADAPTERS: dict[str, Callable[[torch.nn.Module, AdapterConfig, int, str], torch.nn.Module]] = {
    "lora": _lora,
    "adalora": _adalora,
    "ia3": _ia3,
    "prompt": _prompt,
    "prefix": _prefix,
    "bitfit": _bitfit,
    "head": _head,
    "full": _full,
}


def apply_adapter(model: torch.nn.Module, cfg: AdapterConfig, total_steps: int,
                  task_type: str = "SEQ_CLS") -> torch.nn.Module:
    """Apply the configured adapter method to *model* (*task_type*: peft's ``TaskType`` name for its head)."""
    return ADAPTERS[cfg.method](model, cfg, total_steps, task_type)


def is_peft(model: torch.nn.Module) -> bool:
    """True if *model* is a PEFT wrapper."""
    return hasattr(model, "peft_config")


def count_parameters(model: torch.nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
