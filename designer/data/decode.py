"""Decode any image Pillow reads into 8-bit RGB, and say what had to be converted.

This is the careful path: it handles every mode (grey, alpha, palette, CMYK, 16-bit), decodes
huge JPEGs at reduced size via ``Image.draft`` and turns Pillow's decompression-bomb warning into a
flag instead of an exception. The health report uses it to check files; the fast tensor loader
falls back to it for everything torchvision.io does not handle.
"""

from __future__ import annotations

import io
import math
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from designer.data.errors import SampleError
from designer.data.formats import ImageHeader, not_image_reason, read_header

#: Images above this many pixels are reported as "very large" (decoded at reduced size if JPEG).
LARGE_PIXELS = 30_000_000

#: Exceptions Pillow's decoders raise on damaged files (besides OSError).
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    zlib.error,
    MemoryError,
    Image.DecompressionBombError,
)

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class LoadInfo:
    """What was found while decoding one file (for the health report)."""

    format: str
    mode: str
    width: int
    height: int
    conversions: tuple[str, ...] = ()
    reduced: bool = False
    large: bool = False


def read_bytes(path: Path) -> bytes:
    """Whole file, or SampleError saying it is unreadable or empty."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SampleError(path, f"cannot read file ({exc.strerror or exc})", "unreadable") from exc
    if not data:
        raise SampleError(path, "empty file (0 bytes)", "empty")
    return data


def header_or_raise(data: bytes, path: Path) -> ImageHeader:
    """Image header, or SampleError naming what the file is instead."""
    header = read_header(data)
    if header is None:
        raise SampleError(path, not_image_reason(data[:64]), "not_image")
    return header


def decode_pil(
    data: bytes,
    path: Path,
    max_side: int | None = None,
    min_side: int | None = None,
    check_only: bool = False,
) -> tuple[Image.Image, LoadInfo]:
    """RGB image and what was converted; SampleError for anything unreadable.

    ``max_side`` caps the longer side of the result; ``min_side`` lets a JPEG be decoded at a
    reduced scale as long as its shorter side stays >= ``min_side``; ``check_only`` decodes a JPEG
    at the smallest scale (every byte is still decoded, so truncation is still detected).
    """
    header = header_or_raise(data, path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        bomb = any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught)
        width, height = img.size
        reduced = _draft(img, max_side, min_side, check_only)
        img.load()
        mode = img.mode
        rgb, conversions = to_rgb(img, header)
    except Image.DecompressionBombError as exc:
        raise SampleError(path, f"too large to decode safely ({exc})", "too_large") from exc
    except UnidentifiedImageError as exc:
        raise SampleError(path, f"not a readable {header.format.upper()} image", "corrupt") from exc
    except _DECODE_ERRORS as exc:
        raise _decode_error(path, exc) from exc
    if max_side and max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
        reduced = True
    large = bomb or width * height > LARGE_PIXELS
    fmt = (img.format or header.format).lower()
    info = LoadInfo(fmt, mode, width, height, conversions, reduced, large)
    return rgb, info


def _decode_error(path: Path, exc: BaseException) -> SampleError:
    text = str(exc)
    if "truncated" in text.lower() or isinstance(exc, EOFError):
        return SampleError(path, "truncated or incomplete image file", "truncated")
    if isinstance(exc, MemoryError):
        return SampleError(path, "not enough memory to decode this image", "too_large")
    return SampleError(path, f"corrupt image data ({type(exc).__name__}: {text})", "corrupt")


def _draft(img: Image.Image, max_side: int | None, min_side: int | None, check_only: bool) -> bool:
    """Ask the JPEG decoder to scale down by 1/2..1/8 while decoding; True if it will."""
    if img.format != "JPEG":
        return False
    width, height = img.size
    if check_only:
        request = (1, 1)
    else:
        scales = []
        if min_side:
            scales.append(min_side / min(width, height))
        if max_side:
            scales.append(max_side / max(width, height))
        if not scales or max(scales) > 0.5:
            return False
        scale = max(scales)
        request = (math.ceil(width * scale), math.ceil(height * scale))
    result = img.draft(None, request)
    return result is not None and img.size != (width, height)


def to_rgb(img: Image.Image, header: ImageHeader | None = None) -> tuple[Image.Image, tuple[str, ...]]:
    """8-bit RGB version of a loaded image and the conversions applied (alpha goes on white)."""
    kinds: list[str] = []
    if (header is not None and header.bit_depth == 16) or img.mode in _SIXTEEN_BIT_MODES:
        kinds.append("16-bit")
    mode = img.mode
    if mode in _SIXTEEN_BIT_MODES:
        img = _sixteen_bit_to_l(img, header)
        mode = "L"
    if mode == "P":
        kinds.append("palette")
        if "transparency" in img.info:
            img = img.convert("RGBA")
            mode = "RGBA"
    if mode in _ALPHA_MODES:
        if mode in ("LA", "La"):
            kinds.append("grayscale")
        kinds.append("alpha")
        return _on_white(img), tuple(kinds)
    if mode in ("L", "1"):
        kinds.append("grayscale")
    elif mode == "CMYK":
        kinds.append("cmyk")
    elif mode not in ("RGB", "P"):
        kinds.append(f"other ({mode})")
    return (img if mode == "RGB" else img.convert("RGB")), tuple(kinds)


def _sixteen_bit_to_l(img: Image.Image, header: ImageHeader | None) -> Image.Image:
    """Scale 16-bit grey to 8 bits (Pillow's own convert clips everything above 255 to white)."""
    arr = np.asarray(img)
    if img.mode == "F":
        top = 1.0 if float(arr.max(initial=0.0)) <= 1.0 else 255.0
        arr8 = np.clip(arr / top * 255.0, 0, 255).round()
    elif img.mode.startswith("I;16") or (header is not None and header.bit_depth == 16):
        arr8 = (arr.astype(np.float64) + 128) // 257
    else:
        arr8 = np.clip(arr, 0, 255)
    return Image.fromarray(arr8.astype(np.uint8))


def _on_white(img: Image.Image) -> Image.Image:
    """Composite a transparent image on white: cut-out photos must not turn black."""
    rgba = img.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")
