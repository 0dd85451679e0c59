"""Pixel-space attacks and corruptions for image classifiers: L∞ FGSM and PGD, and common corruptions.

Images are attacked in [0, 1] pixel space (what a camera could produce); the model sees them normalised. Every
function takes a *scores* callable mapping [0, 1] images ``(n, c, h, w)`` to class probabilities (data label order)
and returns new [0, 1] images; nothing here knows a model, a processor or a check.

* FGSM (Goodfellow et al. 2015): one step of size ε along the sign of the loss gradient.
* PGD (Madry et al. 2018): a random start in the ε-ball, then ``steps`` signed-gradient steps of ``step_size``,
  each projected back into the ε-ball and [0, 1]. The loss is the cross-entropy of the true label.
* Corruptions (after Hendrycks & Dietterich 2019, one severity each): Gaussian noise, Gaussian blur, brightness.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["Scores", "fgsm", "pgd", "CORRUPTIONS", "corrupt"]

Scores = Callable[[torch.Tensor], torch.Tensor]  # [0, 1] images -> probabilities (n, k)


def _loss_grad(scores: Scores, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of the summed cross-entropy of the true labels with respect to the images."""
    x = x.detach().requires_grad_(True)
    loss = F.nll_loss(torch.log(scores(x).clamp_min(1e-12)), y, reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(scores: Scores, x: torch.Tensor, y: torch.Tensor, epsilon: float) -> torch.Tensor:
    """One signed-gradient step of size *epsilon*, clipped to [0, 1]."""
    return (x + epsilon * _loss_grad(scores, x, y).sign()).clamp(0, 1).detach()


def pgd(scores: Scores, x: torch.Tensor, y: torch.Tensor, epsilon: float, steps: int, step_size: float,
        start: torch.Tensor | None = None) -> torch.Tensor:
    """Projected gradient descent in the L∞ ball of radius *epsilon* around *x*, from ``x + epsilon * start``
    (*start*: uniform in [-1, 1], shaped like *x*; None: from *x* itself)."""
    adv = (x + epsilon * start).clamp(0, 1) if start is not None else x.clone()
    for _ in range(steps):
        adv = adv + step_size * _loss_grad(scores, adv, y).sign()
        adv = torch.min(torch.max(adv, x - epsilon), x + epsilon).clamp(0, 1).detach()
    return adv


def _noise(x: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
    return (x + normal * 0.08).clamp(0, 1)


def _blur(x: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
    sigma, radius = 1.0, 2
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1),
                    groups=c)


def _brightness(x: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
    return (x + 0.3).clamp(0, 1)


# name -> (what it does, function). Registered one line each.
CORRUPTIONS: dict[str, tuple[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]] = {
    "gaussian_noise": ("additive Gaussian noise, σ = 0.08", _noise),
    "gaussian_blur": ("Gaussian blur, σ = 1 pixel", _blur),
    "brightness": ("brightness + 0.3 (clipped)", _brightness),
}


def corrupt(name: str, x: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
    """*x* with the named corruption (*normal*: standard normal draws shaped like *x*, for the noisy ones)."""
    return CORRUPTIONS[name][1](x, normal)
