"""Pixel attacks and corruptions against closed forms: FGSM on a linear softmax model is x + ε sign(Wᵀ(p − e_y));
PGD stays in the ε-ball and in [0, 1] and does not lower the loss; corruptions do what they say."""

from __future__ import annotations

import torch

from rai_ft.robustness.pixels import corrupt, fgsm, pgd


def _linear(seed: int = 0) -> tuple[torch.Tensor, object]:
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(3, 2 * 4 * 4, generator=gen)

    def scores(x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x.flatten(1) @ w.T, dim=-1)
    return w, scores


def test_fgsm_matches_the_closed_form_on_a_linear_model() -> None:
    w, scores = _linear()
    x = torch.rand(5, 2, 4, 4, generator=torch.Generator().manual_seed(1)) * 0.5 + 0.25
    y = torch.tensor([0, 1, 2, 0, 1])
    p = scores(x)
    grad = (p - torch.eye(3)[y]) @ w  # d CE / d x for logits x @ w.T
    expected = (x + 0.05 * grad.sign().view_as(x)).clamp(0, 1)
    assert torch.allclose(fgsm(scores, x, y, 0.05), expected)


def test_pgd_stays_in_the_ball_and_in_range_and_raises_the_loss() -> None:
    _, scores = _linear()
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(6, 2, 4, 4, generator=gen)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    start = torch.rand(x.shape, generator=gen) * 2 - 1
    adv = pgd(scores, x, y, 0.03, 10, 0.0075, start)
    assert float((adv - x).abs().max()) <= 0.03 + 1e-6 and float(adv.min()) >= 0 and float(adv.max()) <= 1

    def loss(z: torch.Tensor) -> float:
        return float(torch.nn.functional.nll_loss(torch.log(scores(z)), y))
    assert loss(adv) > loss(x)


def test_corruptions_do_what_they_say() -> None:
    flat = torch.full((1, 3, 8, 8), 0.5)
    normal = torch.randn(flat.shape, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(corrupt("gaussian_blur", flat, normal), flat)  # a flat image stays flat
    assert torch.allclose(corrupt("brightness", flat, normal), torch.full_like(flat, 0.8))
    noisy = corrupt("gaussian_noise", flat, normal)
    assert torch.allclose(noisy, (flat + 0.08 * normal).clamp(0, 1))
    edge = torch.zeros(1, 1, 8, 8)
    edge[..., 4:] = 1
    blurred = corrupt("gaussian_blur", edge, torch.zeros_like(edge))
    assert 0 < float(blurred[0, 0, 0, 3]) < 0.5 < float(blurred[0, 0, 0, 4]) < 1  # the edge is softened
