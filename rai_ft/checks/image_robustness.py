"""Check ``image_robustness``: accuracy of an image classifier under L∞ attacks (PGD, FGSM) and common corruptions.

On an order-free sample of test images (``max_images``), each image is attacked in [0, 1] pixel space within an
L∞ budget ``epsilon`` (in pixel units out of 1: 8/255 ≈ 0.031 by default; :mod:`rai_ft.robustness.pixels`) and
decided as deployed (the predictor's decision rule). Metrics, over the sample:

* ``robustness.image_clean_accuracy``: accuracy on the unattacked images;
* ``robustness.image_accuracy_under_attack``: accuracy under PGD (``pgd_steps`` steps of 2.5 ε / steps, random start);
* ``robustness.image_fgsm_accuracy``: accuracy under one FGSM step of ε;
* ``robustness.image_attack_success_rate``: the share of correctly decided images that PGD flips;
* ``robustness.image_corruption_accuracy``: mean accuracy over the corruptions (noise, blur, brightness; each one
  in the details);
* with a baseline (a guard such as ``image_adversarial`` with ``baseline: true`` trained the same spec without it):
  ``robustness.image_baseline_clean_accuracy`` and ``robustness.image_baseline_accuracy_under_attack``, the
  baseline attacked on the same images with the same draws (before vs after, in the details too).

Every name carries ``image_``: the text ``robustness`` check already produces ``accuracy_under_attack`` and
``attack_success_rate``, and one producer per metric name keeps the gate's "measured under which settings" exact.

The attack reads the predictor's differentiable probabilities, so an image model is attacked through the same label
map and pre-processing that the audit predicts with. A model that gives one label to every test image cannot flip:
every metric is then unmeasured (a warn finding), not a vacuous pass.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from rai_ft.checks.base import AuditContext, Check, CheckConfig, unmeasured_if_one_class
from rai_ft.config.loading import known_names
from rai_ft.results import CheckResult, Finding
from rai_ft.robustness.pixels import CORRUPTIONS, corrupt, fgsm, pgd
from rai_ft.sampling import order_free_sample

__all__ = ["ImageRobustnessCheck", "ImageRobustnessConfig", "MSG_NOT_IMAGES", "MSG_FRAGILE", "MSG_CORRUPTION"]

MSG_NOT_IMAGES = "image_robustness attacks pixels: this run's predictor has no image processor"
MSG_FRAGILE = ("accuracy falls from {clean:.3f} to {attacked:.3f} under an L∞ PGD attack of ε = {eps:.4f} "
               "({eps255:.1f}/255); above warn_drop {warn:.2f}")
MSG_CORRUPTION = "accuracy falls from {clean:.3f} to {acc:.3f} under {what}; above warn_drop {warn:.2f}"


class ImageRobustnessConfig(CheckConfig):
    """Settings of the image robustness check."""

    max_images: int = Field(200, ge=1, le=100_000)
    epsilon: float = Field(8 / 255, gt=0, le=1, description="L∞ budget in [0, 1] pixel units.")
    pgd_steps: int = Field(10, ge=1, le=1000)
    corruptions: list[str] = Field(list(CORRUPTIONS), description="Corruptions to measure (rai_ft.robustness.pixels).")
    batch_size: int = Field(64, ge=1)
    warn_drop: float = Field(0.2, ge=0, le=1, description="An accuracy drop above this is a warn finding.")
    seed: int = 0

    @field_validator("corruptions")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return known_names(v, CORRUPTIONS, "corruption(s)")


def _draws(refs: list[str], shape: Any, seed: int) -> tuple[Any, Any]:
    """Each image's own PGD start (uniform in [-1, 1]) and noise (standard normal), seeded by its reference: the
    same image gets the same draws whatever the batch it is in or the order of the rows."""
    import torch

    uniform, normal = [], []
    for ref in refs:
        gen = torch.Generator().manual_seed(seed * 2_654_435_761 + zlib.crc32(ref.encode()))
        uniform.append(torch.rand(shape, generator=gen) * 2 - 1)
        normal.append(torch.randn(shape, generator=gen))
    return torch.stack(uniform), torch.stack(normal)


class ImageRobustnessCheck(Check[ImageRobustnessConfig]):
    """How much accuracy does a small, bounded change to the pixels take away?"""

    name = "image_robustness"
    config_model = ImageRobustnessConfig
    metric_patterns = ("robustness.image_clean_accuracy", "robustness.image_accuracy_under_attack",
                       "robustness.image_fgsm_accuracy", "robustness.image_attack_success_rate",
                       "robustness.image_corruption_accuracy", "robustness.image_baseline_clean_accuracy",
                       "robustness.image_baseline_accuracy_under_attack")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Attack and corrupt the sampled test images; compare decisions with the gold labels."""
        processor = getattr(ctx.predictor, "tokenizer", None)
        if ctx.predictor is None or not hasattr(processor, "normalise"):
            return CheckResult(name=self.name, status="error", error=MSG_NOT_IMAGES)
        if (one := unmeasured_if_one_class(self, ctx.predictions, "an attack success rate")) is not None:
            return one
        cfg = self.config
        rows = np.asarray(order_free_sample(ctx.texts, cfg.max_images, cfg.seed), dtype=int)
        y = ctx.predictions.y_true[rows]
        result = self._result(self._outcomes(ctx, ctx.predictor, processor, rows, y), y, len(rows))
        if ctx.baseline is not None:
            before = self._outcomes(ctx, ctx.baseline, processor, rows, y, ("clean", "pgd"))
            self._compare(result, before, y, ctx.baseline_label)
        return result

    def _outcomes(self, ctx: AuditContext, predictor: Any, processor: Any, rows: np.ndarray, y: np.ndarray,
                  only: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        """Per variant (clean, pgd, fgsm, each corruption; or *only* these), the label *predictor* decides for each
        sampled image."""
        import torch

        cfg = self.config
        variants = list(only or ("clean", "pgd", "fgsm", *cfg.corruptions))
        out: dict[str, list[np.ndarray]] = {v: [] for v in variants}
        model = predictor.model
        model.eval()

        def scores(x01: torch.Tensor) -> torch.Tensor:
            return predictor.forward(pixel_values=processor.standardise(x01))

        for start in range(0, len(rows), cfg.batch_size):
            part = rows[start:start + cfg.batch_size]
            x01 = processor.unit(np.stack([processor.pixels(ctx.texts[i]) for i in part]))
            yt = torch.as_tensor(y[start:start + cfg.batch_size], dtype=torch.long)
            uniform, normal = _draws([ctx.texts[i] for i in part], x01.shape[1:], cfg.seed)
            for name in variants:
                x = self._variant(name, scores, x01, yt, uniform, normal)
                with torch.no_grad():
                    proba = scores(x).double().numpy()
                out[name].append(predictor.decide(proba, part))
        return {k: np.concatenate(v) for k, v in out.items()}

    def _variant(self, name: str, scores: Any, x01: Any, y: Any, uniform: Any, normal: Any) -> Any:
        """The [0, 1] images of one variant: clean, attacked (PGD from *uniform*, FGSM) or corrupted."""
        cfg = self.config
        if name == "clean":
            return x01
        if name == "pgd":
            return pgd(scores, x01, y, cfg.epsilon, cfg.pgd_steps, 2.5 * cfg.epsilon / cfg.pgd_steps, uniform)
        if name == "fgsm":
            return fgsm(scores, x01, y, cfg.epsilon)
        return corrupt(name, x01, normal)

    def _compare(self, result: CheckResult, before: dict[str, np.ndarray], y: np.ndarray,
                 label: str | None) -> None:
        """Add the baseline's clean accuracy and accuracy under PGD (same images, same draws) to *result*."""
        clean, attacked = float((before["clean"] == y).mean()), float((before["pgd"] == y).mean())
        result.metrics["robustness.image_baseline_clean_accuracy"] = clean
        result.metrics["robustness.image_baseline_accuracy_under_attack"] = attacked
        after = result.metrics["robustness.image_accuracy_under_attack"]
        result.details["comparison"] = {
            "source": label or "baseline trained in this run", "baseline_clean_accuracy": clean,
            "baseline_accuracy_under_attack": attacked, "accuracy_under_attack": after,
            "change": None if after is None else after - attacked}

    def _result(self, decided: dict[str, np.ndarray], y: np.ndarray, n: int) -> CheckResult:
        cfg = self.config
        acc = {k: float((v == y).mean()) for k, v in decided.items()}
        right = decided["clean"] == y
        flipped = float((decided["pgd"][right] != y[right]).mean()) if right.any() else None
        corruption = {c: acc[c] for c in cfg.corruptions}
        metrics: dict[str, float | None] = {
            "robustness.image_clean_accuracy": acc["clean"], "robustness.image_accuracy_under_attack": acc["pgd"],
            "robustness.image_fgsm_accuracy": acc["fgsm"], "robustness.image_attack_success_rate": flipped,
            "robustness.image_corruption_accuracy": float(np.mean(list(corruption.values()))) if corruption else None}
        findings = []
        if acc["clean"] - acc["pgd"] > cfg.warn_drop:
            findings.append(Finding("warn", MSG_FRAGILE.format(clean=acc["clean"], attacked=acc["pgd"],
                                                               eps=cfg.epsilon, eps255=cfg.epsilon * 255,
                                                               warn=cfg.warn_drop), source=self.name))
        for c, a in corruption.items():
            if acc["clean"] - a > cfg.warn_drop:
                findings.append(Finding("warn", MSG_CORRUPTION.format(clean=acc["clean"], acc=a,
                                                                      what=CORRUPTIONS[c][0], warn=cfg.warn_drop),
                                        source=self.name))
        details = {"n_images": n, "epsilon": cfg.epsilon, "epsilon_255": cfg.epsilon * 255,
                   "pgd_steps": cfg.pgd_steps, "pgd_step_size": 2.5 * cfg.epsilon / cfg.pgd_steps,
                   "correct_clean": int(right.sum()),
                   "corruptions": [{"name": c, "what": CORRUPTIONS[c][0], "accuracy": a}
                                   for c, a in corruption.items()]}
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details)
