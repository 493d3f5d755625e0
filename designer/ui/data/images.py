"""Pillow images to QImages, and thumbnails: safe to call on a worker thread (no QPixmap)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from designer.data import load_rgb
from designer.data.errors import SampleError

THUMB_SIZE = 96
PAD_GREY = (226, 226, 226)


@dataclass(frozen=True)
class Thumbnail:
    """One loaded thumbnail (image None when the file could not be decoded)."""

    path: Path
    split: str
    image: QImage | None
    error: str = ""


def to_qimage(image: Image.Image) -> QImage:
    """An RGB QImage that owns its pixels (the Pillow buffer may go away)."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    qimage = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return qimage.copy()


def thumbnail(path: Path, size: int = THUMB_SIZE) -> QImage:
    """`path` as training decodes it (alpha on white, CMYK/16-bit converted) on a `size` square.

    Small images are enlarged too, so a grid of 32 px images stays legible; the square (light
    grey margins) keeps the labels of a grid aligned and shows each image's shape.
    """
    image = load_rgb(path, min_side=size)
    scale = size / max(image.width, image.height)
    new = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    square = Image.new("RGB", (size, size), PAD_GREY)
    square.paste(image.resize(new, Image.Resampling.BILINEAR),
                 ((size - new[0]) // 2, (size - new[1]) // 2))
    return to_qimage(square)


def load_thumbnails(items: Sequence[tuple[Path, str]], progress: Callable[[float, str], None],
                    cancelled: Callable[[], bool], size: int = THUMB_SIZE) -> list[Thumbnail]:
    """Thumbnails of (path, split) pairs; stops early (returning what it has) when cancelled."""
    out: list[Thumbnail] = []
    for i, (path, split) in enumerate(items):
        if cancelled():
            break
        try:
            out.append(Thumbnail(path, split, thumbnail(path, size)))
        except (SampleError, OSError) as error:
            out.append(Thumbnail(path, split, None, str(error)))
        progress((i + 1) / max(len(items), 1), f"{i + 1} of {len(items)} thumbnails")
    return out
