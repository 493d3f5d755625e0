"""Image-file factories for the data tests: every file is generated under tmp_path."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

MakeImage = Callable[..., Path]


def _pixels(size: tuple[int, int], seed: int) -> np.ndarray:
    """Smooth colour gradient plus a seed-dependent offset (compresses well, differs per seed)."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 128, size=3)
    r = (x * 255 // max(width - 1, 1) + base[0]) % 256
    g = (y * 255 // max(height - 1, 1) + base[1]) % 256
    b = ((x + y) * 127 // max(width + height - 2, 1) + base[2]) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def _png_rgb16(rgb8: np.ndarray) -> bytes:
    """48-bit RGB PNG written by hand (Pillow cannot write one): each 8-bit value v -> v*257."""
    height, width, _ = rgb8.shape
    deep = rgb8.astype(np.uint16) * 257
    raw = b"".join(b"\x00" + deep[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def image_bytes(
    mode: str = "RGB", size: tuple[int, int] = (48, 40), fmt: str = "PNG", seed: int = 0
) -> bytes:
    """Encoded image of a Pillow mode; ``I;16`` is 16-bit grey, ``RGB;16`` 48-bit RGB (PNG)."""
    if size[0] * size[1] > 1_000_000:  # big test images: upscale a small one (fast, low memory)
        rgb = Image.fromarray(_pixels((256, 256), seed)).resize(size, Image.Resampling.BILINEAR)
    else:
        rgb = Image.fromarray(_pixels(size, seed))
    if mode == "RGBA":
        alpha = np.zeros((size[1], size[0]), np.uint8)
        alpha[:, : size[0] // 2] = 255  # left half opaque, right half fully transparent
        img = rgb.convert("RGBA")
        img.putalpha(Image.fromarray(alpha))
    elif mode == "RGB;16":
        return _png_rgb16(np.asarray(rgb))
    elif mode == "I;16":
        grey = np.asarray(rgb.convert("L")).astype(np.uint16) * 257
        img = Image.fromarray(grey)
    else:
        img = rgb.convert(mode)
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def encode_image() -> Callable[..., bytes]:
    """``encode_image(mode="RGB", size=(48, 40), fmt="PNG", seed=0)`` -> encoded bytes."""
    return image_bytes


@pytest.fixture(scope="session")
def make_image() -> MakeImage:
    """``make_image(path, mode="RGB", size=(48, 40), fmt=None, seed=0)`` writes an image file."""

    def make(
        path: Path,
        mode: str = "RGB",
        size: tuple[int, int] = (48, 40),
        fmt: str | None = None,
        seed: int = 0,
    ) -> Path:
        fmt = fmt or ("JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image_bytes(mode, size, fmt, seed))
        return path

    return make


@pytest.fixture
def class_tree(tmp_path: Path, make_image: MakeImage) -> Path:
    """``root/<class>/...`` with 3 classes of 10, 6 and 4 images, some in nested folders."""
    root = tmp_path / "animals"
    counts = {"cat": 10, "dog": 6, "owl": 4}
    seed = 0
    for name, n in counts.items():
        for i in range(n):
            sub = root / name / ("nested/deeper" if i % 3 == 0 else "")
            make_image(sub / f"{name}{i}.{'jpg' if i % 2 else 'png'}", seed=seed)
            seed += 1
    return root
