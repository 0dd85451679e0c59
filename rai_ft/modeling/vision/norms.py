"""Batch norm to group norm, for differential privacy.

DP-SGD needs each example's gradient to depend on that example alone; a batch norm in training mode normalises each
image by its batch's statistics, so Opacus refuses it. Group norm normalises each image by its own channel groups
(Wu & He 2018), which is what Opacus' ``ModuleValidator.fix`` substitutes. Here the groups are the largest divisor of
the channel count up to 32 (Opacus asks for ``min(32, channels)`` groups, which does not divide 40 or 80 channels,
both in EfficientNet-Lite0), and each group norm starts from its batch norm's scale and shift; the running
statistics are dropped (a group norm has none), so a pretrained network's features shift and need training.
"""

from __future__ import annotations

from torch import nn

__all__ = ["batch_to_group_norm", "has_trainable_batch_norm", "groups_for"]


def groups_for(channels: int, most: int = 32) -> int:
    """The largest divisor of *channels* that is at most *most*."""
    return max(g for g in range(1, min(most, channels) + 1) if channels % g == 0)


def has_trainable_batch_norm(module: nn.Module) -> bool:
    """True when a batch norm inside *module* has a parameter that trains (Opacus refuses those)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) and any(p.requires_grad for p in m.parameters())
               for m in module.modules())


def batch_to_group_norm(module: nn.Module) -> int:
    """Replace every 2-d batch norm inside *module* by a group norm (in place, keeping its scale, shift and
    ``requires_grad``); returns how many were replaced."""
    replaced = 0
    for name, child in list(module.named_children()):
        if isinstance(child, nn.BatchNorm2d):
            c = child.num_features
            gn = nn.GroupNorm(groups_for(c), c, eps=child.eps, affine=child.affine)
            if child.affine:
                gn.weight.data.copy_(child.weight.data)
                gn.bias.data.copy_(child.bias.data)
                gn.weight.requires_grad_(child.weight.requires_grad)
                gn.bias.requires_grad_(child.bias.requires_grad)
            setattr(module, name, gn)
            replaced += 1
        else:
            replaced += batch_to_group_norm(child)
    return replaced
