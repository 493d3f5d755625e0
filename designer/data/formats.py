"""Recognise image files from their first bytes, without decoding them.

Scanning a folder must be fast, so it reads a few bytes per file instead of opening it with an
image library; the loader reads the same header to route a file to the fastest decoder and to
decode huge JPEGs at reduced size before they fill memory.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

#: Bytes the scanner reads per file: enough for every signature below.
SNIFF_BYTES = 32

#: Extensions a folder import looks at when the caller restricts a source to images.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
)

#: Files every OS scatters into folders; never worth a line in the health report.
JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})

_UNSUPPORTED = {
    "heic": "HEIC/HEIF photo (not supported): convert it to JPEG or PNG",
    "avif": "AVIF image (not supported): convert it to JPEG or PNG",
    "svg": "vector image (SVG) (not supported): export it as PNG",
    "pdf": "PDF document, not an image",
}


@dataclass(frozen=True)
class ImageHeader:
    """What the first bytes of a file say: format and, where cheap to read, size and depth."""

    format: str
    width: int = 0
    height: int = 0
    bit_depth: int = 8
    png_color_type: int = -1
    png_has_trns: bool = False


def sniff_format(head: bytes) -> str | None:
    """Supported format name (jpeg, png, gif, bmp, tiff, webp) or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 14:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def not_image_reason(head: bytes) -> str:
    """Why a file that is no supported image was skipped, worded for the health report."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return _UNSUPPORTED["heic"]
        if brand in (b"avif", b"avis"):
            return _UNSUPPORTED["avif"]
        return "video or other media file, not an image"
    stripped = head.lstrip()
    if stripped.startswith((b"<svg", b"<?xml")) and b"svg" in head.lower():
        return _UNSUPPORTED["svg"]
    if head.startswith(b"%PDF"):
        return _UNSUPPORTED["pdf"]
    if _looks_like_text(head):
        return "not an image (text file)"
    return "not an image (unknown file type)"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sniffed bytes.
        text = head[:-3].decode("utf-8", errors="replace")
        if "\ufffd" in text:
            return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def read_header(data: bytes) -> ImageHeader | None:
    """Header of an image held in memory; None when it is no supported format."""
    fmt = sniff_format(data[:SNIFF_BYTES])
    if fmt == "png":
        return _png_header(data)
    if fmt == "jpeg":
        size = _jpeg_size(data)
        return ImageHeader("jpeg", *size) if size else ImageHeader("jpeg")
    return ImageHeader(fmt) if fmt else None


def _png_header(data: bytes) -> ImageHeader:
    if len(data) < 33 or data[12:16] != b"IHDR":
        return ImageHeader("png")
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    return ImageHeader("png", width, height, depth, color_type, _png_has_trns(data))


def _png_has_trns(data: bytes) -> bool:
    """True when a tRNS chunk (transparency for palette/grey/RGB PNGs) precedes the pixels."""
    pos = 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"tRNS":
            return True
        if kind in (b"IDAT", b"IEND"):
            return False
        pos += 12 + length
    return False


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first SOF marker; None for a damaged header."""
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 9 > n:
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None
