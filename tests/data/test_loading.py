"""Loading any image as RGB: odd modes converted, alpha on white, bad files named in errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from designer.data.decode import decode_pil, read_bytes
from designer.data.errors import SampleError
from designer.data.loading import load_rgb, load_rgb_tensor, torchvision_decoding

MakeImage = Callable[..., Path]

MODES = [
    ("rgb.jpg", "RGB", ()),
    ("rgb.png", "RGB", ()),
    ("grey.png", "L", ("grayscale",)),
    ("grey.jpg", "L", ("grayscale",)),
    ("grey_alpha.png", "LA", ("grayscale", "alpha")),
    ("rgba.png", "RGBA", ("alpha",)),
    ("palette.png", "P", ("palette",)),
    ("palette.gif", "P", ("palette",)),
    ("cmyk.jpg", "CMYK", ("cmyk",)),
    ("grey16.png", "I;16", ("16-bit", "grayscale")),
    ("rgb16.png", "RGB;16", ("16-bit",)),
    ("rgb.webp", "RGB", ()),
    ("rgb.bmp", "RGB", ()),
    ("rgb.tiff", "RGB", ()),
]


@pytest.mark.parametrize(("name", "mode", "conversions"), MODES)
def test_every_mode_loads_as_rgb_and_both_paths_agree(
    tmp_path: Path, make_image: MakeImage, name: str, mode: str, conversions: tuple[str, ...]
) -> None:
    fmt = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}
    path = make_image(tmp_path / name, mode=mode, fmt=fmt[name.rsplit(".", 1)[1]])

    image = load_rgb(path)
    tensor = load_rgb_tensor(path)
    _img, info = decode_pil(read_bytes(path), path)

    assert image.mode == "RGB" and image.size == (48, 40)
    assert tensor.dtype == torch.uint8 and tuple(tensor.shape) == (3, 40, 48)
    pil_as_tensor = torch.from_numpy(np.array(image)).permute(2, 0, 1)
    assert (tensor.int() - pil_as_tensor.int()).abs().max() <= 1
    assert info.conversions == conversions


def test_transparent_pixels_become_white(tmp_path: Path, make_image: MakeImage) -> None:
    path = make_image(tmp_path / "cutout.png", mode="RGBA")
    tensor = load_rgb_tensor(path)
    assert (tensor[:, :, 30:] == 255).all(), "transparent half must be white, not black"
    assert (tensor[:, :, :20] != 255).any()


def test_sixteen_bit_grey_keeps_its_tones(tmp_path: Path, make_image: MakeImage) -> None:
    grey16 = np.asarray(load_rgb(make_image(tmp_path / "g16.png", mode="I;16"))).astype(int)
    grey8 = np.asarray(load_rgb(make_image(tmp_path / "g8.png", mode="L"))).astype(int)
    assert np.abs(grey16 - grey8).max() <= 1  # Pillow's own convert() would clip to white


def test_48_bit_rgb_keeps_its_colours(tmp_path: Path, make_image: MakeImage) -> None:
    deep = np.asarray(load_rgb(make_image(tmp_path / "d.png", mode="RGB;16"))).astype(int)
    rgb = np.asarray(load_rgb(make_image(tmp_path / "r.png", mode="RGB"))).astype(int)
    assert np.abs(deep - rgb).max() <= 1


def test_cmyk_jpeg_keeps_its_colours(tmp_path: Path, make_image: MakeImage) -> None:
    cmyk = np.asarray(load_rgb(make_image(tmp_path / "c.jpg", mode="CMYK"))).astype(int)
    rgb = np.asarray(load_rgb(make_image(tmp_path / "r.png", mode="RGB"))).astype(int)
    assert np.abs(cmyk - rgb).mean() < 10


@pytest.mark.parametrize(
    ("content", "kind", "words"),
    [
        (b"", "empty", "empty file"),
        (b"this is not a picture\n", "not_image", "text file"),
        (None, "truncated", "truncated"),
    ],
)
def test_bad_files_raise_sample_error_naming_the_file(
    tmp_path: Path, encode_image: Callable[..., bytes], content: bytes | None, kind: str, words: str
) -> None:
    if content is None:
        full = encode_image("RGB", (64, 64), "JPEG")
        content = full[: len(full) // 2]
    path = tmp_path / "broken.jpg"
    path.write_bytes(content)
    for loader in (load_rgb, load_rgb_tensor):
        with pytest.raises(SampleError) as caught:
            loader(path)
        assert caught.value.path == path and caught.value.kind == kind
        assert str(path) in str(caught.value) and words in str(caught.value)


def test_missing_file_raises_sample_error(tmp_path: Path) -> None:
    with pytest.raises(SampleError, match="cannot read file"):
        load_rgb_tensor(tmp_path / "gone.png")


def test_big_jpeg_is_decoded_at_reduced_size(tmp_path: Path, make_image: MakeImage) -> None:
    path = make_image(tmp_path / "big.jpg", size=(2400, 1600))

    thumb = load_rgb(path, max_side=300)
    assert max(thumb.size) == 300
    reduced = load_rgb_tensor(path, min_side=350)
    assert 350 <= min(reduced.shape[1:]) < 1600  # JPEG draft: 1/4 scale gives 600x400
    assert tuple(reduced.shape) == (3, 400, 600)
    assert max(load_rgb_tensor(path, max_side=500).shape[1:]) == 500


def test_big_png_is_shrunk_after_decoding(tmp_path: Path, make_image: MakeImage) -> None:
    path = make_image(tmp_path / "big.png", size=(900, 300))
    assert tuple(load_rgb_tensor(path, max_side=300).shape) == (3, 100, 300)


def test_decompression_bomb_warning_is_handled_and_error_reported(
    tmp_path: Path, make_image: MakeImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    warned = make_image(tmp_path / "warn.png", size=(40, 40))  # 1600 px: warning range
    image, info = decode_pil(read_bytes(warned), warned)
    assert image.size == (40, 40) and info.large
    refused = make_image(tmp_path / "bomb.png", size=(60, 60))  # 3600 px > 2x limit
    with pytest.raises(SampleError) as caught:
        load_rgb(refused)
    assert caught.value.kind == "too_large"


def test_jpeg_and_png_use_torchvision_decoding() -> None:
    assert torchvision_decoding()
