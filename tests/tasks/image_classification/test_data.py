"""Image data: folders, tables with relative paths, built-in Fashion-MNIST (from IDX files), bad images refused
naming the file or skipped and counted."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from rai_ft.data.images import MSG_EMPTY_IMAGE, BadImageError, read_image, to_pixels
from rai_ft.data.loading import LABEL, TEXT
from rai_ft.errors import SpecError
from rai_ft.tasks.image_classification.data import MSG_NO_CLASS_FOLDERS, load_image_data
from rai_ft.validation import load_spec
from tests.conftest import write_yaml
from tests.tasks.image_classification.images import KINDS, bar, image_folder, image_table, save


def _spec(tmp_path: Path, data: dict) -> object:
    write_yaml(tmp_path / "policy.yaml", {"name": "p"})
    return load_spec(write_yaml(tmp_path / "spec.yaml", {"name": "i", "task": "image-classification", "data": data,
                                                          "policy": "policy.yaml"}))


def test_a_class_per_subfolder_folder_loads_with_folder_names_as_labels(tmp_path: Path) -> None:
    image_folder(tmp_path / "imgs", per_class=20)
    data = load_image_data(_spec(tmp_path, {"source": "imgs"}))
    assert data.labels == sorted(KINDS)
    assert len(data.train) + len(data.validation) + len(data.test) == 40
    ref = data.test[TEXT].iloc[0]
    assert ref.startswith("imgs/") and (tmp_path / ref).is_file()  # relative to the spec's folder
    assert Path(ref).parent.name == data.labels[data.test[LABEL].iloc[0]]
    assert data.files[0]["images"] == 40 and len(data.files[0]["sha256"]) == 64


def test_a_table_resolves_paths_relative_to_itself_and_keeps_condition_columns(tmp_path: Path) -> None:
    image_table(tmp_path / "set", n=60)
    data = load_image_data(_spec(tmp_path, {"source": "set/images.csv", "sensitive": ["light"]}))
    assert data.sensitive == ["light"] and set(data.train["light"]) == {"dim", "bright"}
    assert all(r.startswith("set/img/") and (tmp_path / r).is_file() for r in data.train[TEXT])


def test_moving_the_data_with_its_spec_changes_no_reference_nor_the_fingerprint(tmp_path: Path) -> None:
    import shutil

    image_folder(tmp_path / "a" / "imgs", per_class=10)
    first = load_image_data(_spec(tmp_path / "a", {"source": "imgs"}))
    shutil.copytree(tmp_path / "a", tmp_path / "elsewhere" / "b")
    moved = load_image_data(_spec(tmp_path / "elsewhere" / "b", {"source": "imgs"}))
    assert list(moved.test[TEXT]) == list(first.test[TEXT]) and moved.train_sha256 == first.train_sha256
    assert moved.fingerprint == first.fingerprint


def test_a_folder_without_class_subfolders_is_refused(tmp_path: Path) -> None:
    (tmp_path / "flat").mkdir()
    save(bar("vertical", np.random.default_rng(0)), tmp_path / "flat" / "a.png")
    with pytest.raises(SpecError, match=MSG_NO_CLASS_FOLDERS.split("{path}")[1][:30]):
        load_image_data(_spec(tmp_path, {"source": "flat"}))


def _with_bad(tmp_path: Path) -> Path:
    root = image_folder(tmp_path / "imgs", per_class=20)
    (root / "vertical" / "empty.png").write_bytes(b"")
    (root / "vertical" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    from PIL import Image

    Image.new("CMYK", (8, 8)).save(root / "horizontal" / "cmyk.jpg")
    return root


def test_a_bad_image_is_an_error_naming_the_file(tmp_path: Path) -> None:
    _with_bad(tmp_path)
    with pytest.raises(SpecError) as err:
        load_image_data(_spec(tmp_path, {"source": "imgs"}))
    assert err.value.file is not None and Path(err.value.file).name in {"empty.png", "broken.png", "cmyk.jpg"}
    assert "cannot read image" in str(err.value) and "\n" not in str(err.value)


def test_bad_images_can_be_skipped_and_are_counted(tmp_path: Path) -> None:
    _with_bad(tmp_path)
    data = load_image_data(_spec(tmp_path, {"source": "imgs", "bad_images": "skip"}))
    skipped = data.provenance["skipped_images"]
    assert skipped["count"] == 3
    assert {Path(s["file"]).name for s in skipped["first"]} == {"empty.png", "broken.png", "cmyk.jpg"}
    assert {s["reason"] for s in skipped["first"] if s["file"].endswith("empty.png")} == {MSG_EMPTY_IMAGE}
    assert len(data.train) + len(data.validation) + len(data.test) == 40


@pytest.mark.parametrize(("mode", "channels"), [("L", 1), ("RGB", 3), ("RGBA", 3), ("P", 3), ("1", 1)])
def test_grey_and_colour_modes_read_as_grey_or_rgb(tmp_path: Path, mode: str, channels: int) -> None:
    path = save(bar("vertical", np.random.default_rng(0)), tmp_path / "x.png", mode)
    img = read_image(str(path))
    assert (img.ndim == 2) == (channels == 1) and img.dtype == np.uint8
    assert to_pixels(img, 24, 3).shape == (24, 24, 3) and to_pixels(img, 24, 1).shape == (24, 24, 1)


def test_a_sixteen_bit_image_is_refused_not_guessed(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("I;16", (8, 8)).save(tmp_path / "deep.png")
    with pytest.raises(BadImageError, match="is not grey or RGB"):
        read_image(str(tmp_path / "deep.png"))


def _idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_builtin_fashion_mnist_reads_the_idx_files_and_keeps_its_test_split(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from rai_ft.data import fashion_mnist

    rng = np.random.default_rng(0)
    for split, n in (("train", 50), ("test", 20)):
        images, labels = fashion_mnist.FILES[split]
        _idx(tmp_path / images, rng.integers(0, 255, (n, 28, 28)), 2051)
        _idx(tmp_path / labels, np.arange(n) % 10, 2049)
    monkeypatch.setenv("RAI_FT_FASHION_MNIST", str(tmp_path))
    fashion_mnist.fashion_mnist_arrays.cache_clear()
    try:
        data = load_image_data(_spec(tmp_path, {"source": "builtin:fashion-mnist", "split": {"validation": 0.2}}))
        assert len(data.test) == 20 and len(data.train) == 40 and len(data.validation) == 10
        assert data.labels == sorted(fashion_mnist.CLASSES)
        assert data.test[TEXT].iloc[3] == "builtin:fashion-mnist/test/3"
        assert read_image(data.test[TEXT].iloc[3]).shape == (28, 28)
        assert data.provenance["license"].startswith("MIT")
    finally:
        fashion_mnist.fashion_mnist_arrays.cache_clear()


def test_builtin_fashion_mnist_missing_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_FT_FASHION_MNIST", str(tmp_path / "none"))
    with pytest.raises(SpecError, match="apt-get install dataset-fashion-mnist"):
        load_image_data(_spec(tmp_path, {"source": "builtin:fashion-mnist"}))
