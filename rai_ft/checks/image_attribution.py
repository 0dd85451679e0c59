"""Check ``image_attribution``: where in an image the classifier looks, as Integrated Gradients heat maps (Captum).

For an order-free sample of test images (``max_images``), Integrated Gradients (Sundararajan et al. 2017) from a
black image to the image attributes the predicted label's probability (as deployed: the predictor's label map) to
every pixel. A pixel's score is its |attribution| summed over channels. Metrics, means over the sample:

* ``explainability.image_fixed_region_share``: where the decision rests *whatever the image*. Each map is
  normalised to sum 1; the fixed region is the top 5 % of pixels of the sample's mean map; the metric is the mean
  share of each map inside it. Uniform maps give 0.05; a model that reads the same few pixels in every image (a
  watermark, a corner tag, a scanner mark: a location shortcut) approaches 1; one that follows the object where it
  is stays low. Objects that always sit in the same place (centred photos) raise it too: read the heat maps.
* ``explainability.image_ig_convergence_delta``: |Σ attributions − (f(image) − f(black))| / max(|f(image) −
  f(black)|, 1e-6), IG's completeness error: how far to trust a map (small = the path integral converged).
* ``explainability.images_explained``.

The report shows ``heatmap_examples`` maps (default 6) as inline PNG images, each the test image in grey with its
attribution in red, made here and stored in audit.json (the renderer only embeds them). Set ``heatmap_examples: 0``
when test images must not appear in the report (faces, documents).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from pydantic import Field

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.errors import MissingExtraError
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample

__all__ = ["ImageAttributionCheck", "ImageAttributionConfig", "MSG_NOT_IMAGES", "MSG_CONCENTRATED", "heatmap_png",
           "TOP_FRACTION", "top_share", "fixed_region_share"]

MSG_NOT_IMAGES = "image_attribution explains pixels: this run's predictor has no image processor"
MSG_CONCENTRATED = ("the same {pct:.0%} of the pixels hold {share:.0%} of every explanation on average (above "
                    "warn_fixed_share {warn:.0%}): the model reads the same place in every image; check the heat maps "
                    "for a location shortcut (a watermark, a tag, a border)")
TOP_FRACTION = 0.05
HEATMAP_PIXELS = 112  # the shown maps' width and height


class ImageAttributionConfig(CheckConfig):
    """Settings of the image attribution check."""

    max_images: int = Field(50, ge=1, le=10_000)
    ig_steps: int = Field(32, ge=2, le=1000)
    internal_batch_size: int = Field(32, ge=1)
    heatmap_examples: int = Field(6, ge=0, le=50, description="Heat maps shown in the report (0: none).")
    warn_fixed_share: float = Field(0.3, gt=0, le=1, description="A fixed-region share above this (6x what uniform "
                                                                 "maps give) is a warn finding.")
    seed: int = 0


def heatmap_png(image01: np.ndarray, scores: np.ndarray) -> str:
    """Base64 PNG: *image01* ((h, w) grey in [0, 1]) dimmed, with *scores* ((h, w), >= 0) in red on top."""
    from PIL import Image

    heat = scores / scores.max() if scores.max() > 0 else scores
    grey = image01 * 0.6
    rgb = np.stack([np.maximum(grey, heat), grey * (1 - heat), grey * (1 - heat)], axis=-1)
    img = Image.fromarray((rgb * 255).clip(0, 255).astype(np.uint8)).resize((HEATMAP_PIXELS, HEATMAP_PIXELS),
                                                                           Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def top_share(scores: np.ndarray, fraction: float = TOP_FRACTION) -> float | None:
    """The share of the total of *scores* held by its top *fraction* of entries (None if all are zero)."""
    flat = np.sort(scores.ravel())[::-1]
    total = float(flat.sum())
    if total <= 0:
        return None
    return float(flat[:max(1, int(round(fraction * flat.size)))].sum() / total)


def fixed_region_share(maps: list[np.ndarray], fraction: float = TOP_FRACTION) -> tuple[float | None, np.ndarray]:
    """(the mean share of each normalised map inside the top *fraction* of pixels of their mean, that region's mask).
    None when no map has any attribution."""
    normed = [m / m.sum() for m in maps if m.sum() > 0]
    if not normed:
        return None, np.zeros(maps[0].shape if maps else (0,), dtype=bool)
    mean = np.mean(normed, axis=0)
    k = max(1, int(round(fraction * mean.size)))
    region = np.zeros(mean.size, dtype=bool)
    region[np.argsort(mean.ravel(), kind="stable")[::-1][:k]] = True
    region = region.reshape(mean.shape)
    return float(np.mean([m[region].sum() for m in normed])), region


class ImageAttributionCheck(Check[ImageAttributionConfig]):
    """Which pixels does the decision rest on?"""

    name = "image_attribution"
    config_model = ImageAttributionConfig
    metric_patterns = ("explainability.image_fixed_region_share", "explainability.image_ig_convergence_delta",
                       "explainability.images_explained")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Integrated Gradients on the sampled test images; maps for the report."""
        processor: Any = getattr(ctx.predictor, "tokenizer", None)
        if ctx.predictor is None or not hasattr(processor, "normalise"):
            return CheckResult(name=self.name, status="error", error=MSG_NOT_IMAGES)
        try:
            from captum.attr import IntegratedGradients
        except ImportError:
            raise MissingExtraError("check image_attribution", "captum", "explain") from None
        import torch

        cfg, predictor = self.config, ctx.predictor
        rows = order_free_sample(ctx.texts, cfg.max_images, cfg.seed)
        predictor.model.eval()

        def forward(inputs: torch.Tensor) -> torch.Tensor:
            return predictor.forward(pixel_values=inputs)

        ig = IntegratedGradients(forward)
        shape = (1, processor.image_size, processor.image_size, processor.channels)
        black = processor.normalise(np.zeros(shape, dtype=np.uint8))  # the baseline, the same for every image
        with torch.no_grad():
            black_proba = forward(black)[0]
        explained = [self._explain(ig, forward, black, black_proba, ctx, processor, int(i)) for i in rows]
        share, region = fixed_region_share([e.pop("scores") for e in explained])
        deltas = [e.pop("delta") for e in explained]
        metrics: dict[str, float | None] = {
            "explainability.image_fixed_region_share": share,
            "explainability.image_ig_convergence_delta": float(np.mean(deltas)) if deltas else None,
            "explainability.images_explained": float(len(explained))}
        findings = []
        if share is not None and share > cfg.warn_fixed_share:
            findings.append(Finding("warn", MSG_CONCENTRATED.format(pct=TOP_FRACTION, share=share,
                                                                    warn=cfg.warn_fixed_share), source=self.name))
        for e in explained[cfg.heatmap_examples:]:
            e.pop("png")
        return CheckResult(name=self.name, metrics=metrics, findings=findings,
                           details={"method": f"Integrated Gradients, {cfg.ig_steps} steps, black baseline",
                                    "examples": explained[:cfg.heatmap_examples], "n_images": len(explained),
                                    "top_fraction": TOP_FRACTION,
                                    "fixed_region": heatmap_png(np.zeros(region.shape), region.astype(float))
                                    if region.size else None})

    def _explain(self, ig: Any, forward: Any, black: Any, black_proba: Any, ctx: AuditContext, processor: Any,
                 row: int) -> dict[str, Any]:
        """One image's attribution of its decided label: the map, its top share and IG's relative delta."""
        import torch

        cfg, pred = self.config, ctx.predictions
        pixels = processor.pixels(ctx.texts[row])
        x = processor.normalise(pixels[None])
        label = int(pred.y_pred[row])
        attr, delta = ig.attribute(x, baselines=black, target=label, n_steps=cfg.ig_steps,
                                   internal_batch_size=cfg.internal_batch_size, return_convergence_delta=True)
        with torch.no_grad():
            gap = float(forward(x)[0, label] - black_proba[label])
        scores = attr[0].abs().sum(dim=0).detach().numpy()
        grey = pixels.astype(np.float64).mean(axis=-1) / 255.0
        return {"label": pred.labels[int(pred.y_true[row])], "predicted": pred.labels[label],
                "top_share": top_share(scores), "delta": abs(float(delta[0])) / max(abs(gap), 1e-6),
                "png": heatmap_png(grey, scores), "scores": scores}
