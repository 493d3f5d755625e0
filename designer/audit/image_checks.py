"""Images that are very dark, blurry or tiny: pixel statistics, no model involved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from designer.data import OperationCancelledError, SampleError
from designer.data.decode import decode_pil, read_bytes

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
#: mean brightness (0-255) below which an image is called very dark
DARK = 30.0
#: variance of the Laplacian (grey levels, image shrunk to 256 px) below which it is blurry
BLURRY = 12.0
#: shorter side in pixels below which an image is called tiny
TINY = 32
_SIDE = 256


@dataclass(frozen=True)
class ImageFinding:
    """One problem of one image: ``kind`` is "dark", "blurry", "tiny" or "unreadable"."""

    index: int
    kind: str
    detail: str


def check_images(
    paths: list[Path], *, progress: Progress | None = None, cancel: Cancel | None = None,
) -> list[ImageFinding]:
    """Decode each image once (shrunk) and report the dark, blurry and tiny ones."""
    found: list[ImageFinding] = []
    for index, path in enumerate(paths):
        if cancel is not None and index % 32 == 0 and cancel():
            raise OperationCancelledError("audit cancelled")
        try:
            image, info = decode_pil(read_bytes(path), path, max_side=_SIDE)
        except SampleError as error:
            found.append(ImageFinding(index, "unreadable", error.reason))
            continue
        found += _findings(index, np.asarray(image.convert("L"), dtype=np.float64),
                           info.width, info.height)
        if progress is not None and (index % 32 == 0 or index == len(paths) - 1):
            progress((index + 1) / len(paths), f"image checks: {index + 1} of {len(paths)}")
    return found


def _findings(index: int, grey: np.ndarray, width: int, height: int) -> list[ImageFinding]:
    out = []
    brightness = float(grey.mean())
    if brightness < DARK:
        out.append(ImageFinding(index, "dark", f"mean brightness {brightness:.0f} of 255"))
    sharpness = laplacian_variance(grey)
    if sharpness < BLURRY:
        out.append(ImageFinding(index, "blurry", f"sharpness {sharpness:.1f} (Laplacian variance)"))
    if min(width, height) < TINY:
        out.append(ImageFinding(index, "tiny", f"{width}×{height} px"))
    return out


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when the image has no sharp edges."""
    if min(grey.shape) < 3:
        return 0.0
    lap = (grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1]
           - 4.0 * grey[1:-1, 1:-1])
    return float(lap.var())
