"""Header sniffing: formats, sizes and why a file is not an image."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from designer.data.formats import not_image_reason, read_header, sniff_format


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tiff"), ("WEBP", "webp")],
)
def test_formats_are_recognised_from_their_first_bytes(
    fmt: str, name: str, encode_image: Callable[..., bytes]
) -> None:
    assert sniff_format(encode_image("RGB", fmt=fmt)[:32]) == name


def test_jpeg_and_png_headers_give_size_and_depth(encode_image: Callable[..., bytes]) -> None:
    image_bytes = encode_image
    jpeg = read_header(image_bytes("RGB", (123, 45), "JPEG"))
    assert jpeg is not None and (jpeg.format, jpeg.width, jpeg.height) == ("jpeg", 123, 45)
    png16 = read_header(image_bytes("I;16", (7, 9), "PNG"))
    assert png16 is not None and (png16.width, png16.height, png16.bit_depth) == (7, 9, 16)
    rgba = read_header(image_bytes("RGBA", fmt="PNG"))
    assert rgba is not None and rgba.png_color_type == 6


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"hello, this is a text file\n", "text file"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1", "HEIC"),
        (b"<?xml version='1.0'?><svg xmlns=", "SVG"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (bytes(range(200, 232)), "unknown file type"),
    ],
)
def test_not_image_reasons_name_what_the_file_is(head: bytes, words: str) -> None:
    assert sniff_format(head) is None
    assert words in not_image_reason(head)
