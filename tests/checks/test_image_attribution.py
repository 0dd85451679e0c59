"""The image attribution check on planted defects: the heat maps of a watermark-reading CNN put its attribution in the
watermark's corner, the same pixels in every image (fixed-region share above the warn line); its bar-reading twin's
follow the bar wherever it is. Also: IG's completeness error is small; the maps render in the report and in
Chromium; none are kept with heatmap_examples: 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rai_ft.checks.image_attribution import ImageAttributionCheck, ImageAttributionConfig, fixed_region_share, \
    top_share
from rai_ft.pipeline import audit
from tests.checks.test_image_robustness import _run
from tests.conftest import write_yaml


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict, Path, Path]]:
    checks = {"image_attribution": {"max_images": 30, "heatmap_examples": 4}}
    return [_run(tmp_path_factory.mktemp("defect"), True, checks),
            _run(tmp_path_factory.mktemp("clean"), False, checks)]


def test_top_share_is_the_share_of_the_largest_five_percent() -> None:
    scores = np.zeros(100)
    scores[:5] = 1.0
    assert top_share(scores) == 1.0
    assert top_share(np.ones(100)) == pytest.approx(0.05)
    assert top_share(np.zeros(10)) is None


def test_the_fixed_region_share_is_high_for_one_place_and_low_for_moving_ones() -> None:
    same = [np.pad(np.ones((2, 2)), ((0, 8), (0, 8))) for _ in range(5)]  # every map on the same corner
    share, region = fixed_region_share(same)
    assert share == pytest.approx(1.0) and region[:2, :2].all() and region.sum() == 5  # 5 % of 100 pixels
    moving = [np.roll(np.pad(np.ones((2, 2)), ((0, 8), (0, 8))), 2 * i, axis=1) for i in range(5)]
    assert fixed_region_share(moving)[0] < 0.5


def test_a_watermark_reader_reads_the_same_pixels_in_every_image_and_its_twin_does_not(runs: list) -> None:
    defect, clean = (r[0]["metrics"] for r in runs)
    assert defect["explainability.images_explained"] == clean["explainability.images_explained"] == 30
    assert defect["explainability.image_fixed_region_share"] > 0.3 > clean["explainability.image_fixed_region_share"]
    warned = runs[0][0]["checks"]["image_attribution"]["findings"]
    assert any("reads the same place in every image" in f["message"] for f in warned)
    assert not runs[1][0]["checks"]["image_attribution"]["findings"]
    for doc in (runs[0][0], runs[1][0]):
        assert doc["metrics"]["explainability.image_ig_convergence_delta"] < 0.05


def test_the_maps_put_the_watermark_readers_attribution_in_its_corner(runs: list) -> None:
    """Read back the PNGs the report embeds: the red channel's excess over green, per 16 px image cell."""
    import base64
    import io

    from PIL import Image

    def corner_share(doc: dict) -> float:
        shares = []
        for ex in doc["checks"]["image_attribution"]["details"]["examples"]:
            img = np.asarray(Image.open(io.BytesIO(base64.b64decode(ex["png"]))).convert("RGB"), dtype=float)
            heat = (img[..., 0] - img[..., 1]).clip(0)
            cell = img.shape[0] // 16
            shares.append(heat[:4 * cell, :4 * cell].sum() / heat.sum())
        return float(np.mean(shares))

    # the corner is 1/16 of the image: the reader puts at least 4x its area's share there, the twin less than 2x
    defect, twin = corner_share(runs[0][0]), corner_share(runs[1][0])
    assert defect > 0.25 and twin < 0.125, (defect, twin)


def test_the_report_embeds_the_heat_maps_as_images(runs: list) -> None:
    html = (runs[0][1].parent / "report.html").read_text()
    assert "Where the model looks" in html
    maps = html.split('id="image-attribution-maps"')[1].split("</div>")[0]
    assert maps.count('src="data:image/png;base64,') == 4 and 'alt="the fixed region"' in html


def test_no_maps_are_kept_with_heatmap_examples_zero(runs: list, tmp_path: Path) -> None:
    _, model, spec = runs[1]
    write_yaml(spec.parent / "policy.yaml", {"name": "p", "checks": {"image_attribution": {"max_images": 5,
                                                                                            "heatmap_examples": 0}}})
    _, doc = audit(spec, model, output_root=tmp_path, quiet=True)
    assert doc is not None and doc["checks"]["image_attribution"]["details"]["examples"] == []
    assert ImageAttributionCheck(ImageAttributionConfig()).name in doc["checks"]


def test_the_heat_maps_render_in_chromium(runs: list, tmp_path: Path) -> None:
    from tests.browser import open_report

    seen = open_report(runs[0][1].parent / "report.html", tmp_path, """() => Array.from(
        document.querySelectorAll('#image-attribution-maps img')).map(i => [i.complete, i.naturalWidth, i.alt])""")
    maps = seen.data
    assert len(maps) == 4 and all(done and width == 112 for done, width, _ in maps), maps
    assert all(alt.startswith("heat map of a test image labelled") for _, _, alt in maps)
    assert not seen.console_errors
    assert not [u for u in seen.requests if not u.startswith(("file:", "data:"))]
