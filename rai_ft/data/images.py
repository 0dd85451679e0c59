"""Reading images named by one reference string: a file path (PNG or JPEG, grey or colour) or a built-in array
(``builtin:<data set>/<split>/<index>``, from a data set a package ships).

Every failure is one :class:`BadImageError` naming the file and why (unreadable, zero bytes, an unsupported mode),
never a traceback. The image task's loader screens every image before any work starts (``data.bad_images``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from rai_ft.data.fashion_mnist import FASHION_MNIST, fashion_image
from rai_ft.errors import SpecError

__all__ = ["BadImageError", "IMAGE_SUFFIXES", "READABLE_MODES", "BUILTIN_IMAGES", "read_image", "to_pixels",
           "MSG_BAD_IMAGE", "MSG_EMPTY_IMAGE", "MSG_IMAGE_MODE", "MSG_NOT_AN_IMAGE"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# PIL modes read as grey or colour; others (CMYK, 16-bit and float images) are refused, not guessed
READABLE_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")
MSG_BAD_IMAGE = "cannot read image: {reason}"
MSG_EMPTY_IMAGE = "zero bytes"
MSG_NOT_AN_IMAGE = "not a PNG or JPEG image ({detail})"
MSG_IMAGE_MODE = "mode {mode!r} is not grey or RGB (readable modes: {modes}); convert it to 8-bit grey or RGB"

# built-in data set name -> (split, index) -> a (H, W) or (H, W, 3) uint8 array. Registered one line each.
BUILTIN_IMAGES: dict[str, Callable[[str, int], np.ndarray]] = {
    FASHION_MNIST: fashion_image,
}


class BadImageError(SpecError):
    """An image that cannot be read (exit 2): ``path`` is the file, ``reason`` why; the message names both."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(MSG_BAD_IMAGE.format(reason=reason), file=path)
        self.path, self.reason = path, reason


def _builtin(ref: str) -> np.ndarray:
    """``builtin:<name>/<split>/<index>``."""
    try:
        name, split, index = ref.split(":", 1)[1].split("/")
        return BUILTIN_IMAGES[name](split, int(index))
    except (KeyError, ValueError, IndexError):
        raise BadImageError(ref, f"not a built-in image reference (known data sets: {sorted(BUILTIN_IMAGES)})"
                            ) from None


def read_image(ref: str) -> np.ndarray:
    """The image *ref* names as a uint8 array: (H, W) for grey, (H, W, 3) for colour (alpha dropped)."""
    if ref.startswith("builtin:"):
        return _builtin(ref)
    from PIL import Image, UnidentifiedImageError

    path = Path(ref)
    try:
        if path.stat().st_size == 0:
            raise BadImageError(ref, MSG_EMPTY_IMAGE)
        with Image.open(path) as img:
            if img.format not in ("PNG", "JPEG"):
                raise BadImageError(ref, MSG_NOT_AN_IMAGE.format(detail=f"format {img.format}"))
            if img.mode not in READABLE_MODES:
                raise BadImageError(ref, MSG_IMAGE_MODE.format(mode=img.mode, modes=", ".join(READABLE_MODES)))
            img.load()
            grey = img.mode in ("1", "L", "LA")
            return np.asarray(img.convert("L" if grey else "RGB"), dtype=np.uint8)
    except BadImageError:
        raise
    except FileNotFoundError:
        raise BadImageError(ref, "file not found") from None
    except UnidentifiedImageError:
        raise BadImageError(ref, MSG_NOT_AN_IMAGE.format(detail="unidentified")) from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        raise BadImageError(ref, f"corrupt ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                            ) from None


def to_pixels(image: np.ndarray, size: int, channels: int) -> np.ndarray:
    """*image* resized to *size* x *size* (bilinear) with *channels* (1 grey, 3 RGB: grey is repeated), as
    (size, size, channels) uint8."""
    from PIL import Image

    mode = "L" if channels == 1 else "RGB"
    img = Image.fromarray(image).convert(mode)
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.BILINEAR)
    out = np.array(img, dtype=np.uint8)  # a writable copy (torch refuses to wrap read-only memory silently)
    return out[:, :, None] if out.ndim == 2 else out
