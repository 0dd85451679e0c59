"""Image augmentations: each keeps the shape and dtype, changes the pixels the way it names, and the same seed gives
the same image."""

from __future__ import annotations

import numpy as np
import pytest

from rai_ft.data.image_augment import DEFAULT_IMAGE_AUGMENTATIONS, IMAGE_AUGMENTATIONS, augment_image


def _image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(30, 220, (12, 10, 3)).astype(np.uint8)


@pytest.mark.parametrize("name", list(IMAGE_AUGMENTATIONS))
def test_each_augmentation_keeps_shape_and_dtype_and_repeats_with_its_seed(name: str) -> None:
    img = _image()
    out = augment_image(img, [name], np.random.default_rng(3))
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.array_equal(out, augment_image(img, [name], np.random.default_rng(3)))
    assert np.array_equal(img, _image())  # the input is never changed in place


def test_flip_mirrors_left_and_right_about_half_the_time() -> None:
    img, rng = _image(), np.random.default_rng(0)
    outs = [augment_image(img, ["flip"], rng) for _ in range(200)]
    flipped = [np.array_equal(o, img[:, ::-1]) for o in outs]
    assert all(f or np.array_equal(o, img) for f, o in zip(flipped, outs))
    assert 0.35 < np.mean(flipped) < 0.65


def test_shift_moves_the_content_by_at_most_an_eighth_of_the_side() -> None:
    img = np.zeros((16, 16, 1), np.uint8)
    img[8, 8] = 255
    rng = np.random.default_rng(1)
    spots = {tuple(np.argwhere(augment_image(img, ["shift"], rng)[..., 0] == 255)[0]) for _ in range(100)}
    assert len(spots) > 5 and all(abs(r - 8) <= 2 and abs(c - 8) <= 2 for r, c in spots)


def test_brightness_scales_and_contrast_keeps_the_mean() -> None:
    img = _image()
    rng = np.random.default_rng(2)
    bright = augment_image(img, ["brightness"], rng).astype(float)
    ratio = bright.mean() / img.mean()
    assert 0.8 - 0.01 <= ratio <= 1.2 + 0.01 and ratio != pytest.approx(1.0, abs=1e-3)
    contrast = augment_image(img, ["contrast"], rng).astype(float)
    assert contrast.mean() == pytest.approx(img.mean(), abs=1.0)
    assert contrast.std() != pytest.approx(img.std(), abs=1e-3)


def test_the_defaults_are_registered_and_leave_out_noise() -> None:
    assert set(DEFAULT_IMAGE_AUGMENTATIONS) <= set(IMAGE_AUGMENTATIONS) and "noise" not in DEFAULT_IMAGE_AUGMENTATIONS
