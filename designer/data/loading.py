"""Load one image as 8-bit RGB, fast where possible, careful always.

``load_rgb_tensor`` is what datasets call: JPEG and plain PNG go through ``torchvision.io``
(faster than Pillow here, see bench/data_decode.py), everything else and every damaged file
through Pillow, so that a file either loads as RGB or raises ``SampleError`` naming it.

torch and torchvision are imported on first use, not at import: the main window reaches this
module, and torchvision (which pulls in torch._dynamo) would delay the window by seconds.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from designer.data.decode import decode_pil, header_or_raise, read_bytes
from designer.data.errors import SampleError
from designer.data.formats import ImageHeader

if TYPE_CHECKING:
    import torch

__all__ = ["SampleError", "load_rgb", "load_rgb_tensor", "pil_to_tensor", "torchvision_decoding"]


@functools.cache
def _torchvision_io() -> object | None:
    """torchvision.io's image ops, or None (deprecated in 0.29; Pillow takes over when removed)."""
    try:
        from torchvision.io import image as tv_image
    except ImportError:  # pragma: no cover - depends on the installed torchvision
        return None
    has_ops = getattr(tv_image, "_has_image_ops", None)
    if has_ops is None or not has_ops() or not hasattr(tv_image, "decode_image"):
        return None  # pragma: no cover
    return tv_image


def torchvision_decoding() -> bool:
    """True when JPEG/PNG decoding goes through torchvision.io rather than Pillow."""
    return _torchvision_io() is not None


def load_rgb(path: Path | str, max_side: int | None = None, min_side: int | None = None) -> Image.Image:
    """RGB Pillow image (alpha composited on white); ``max_side`` caps the longer side.

    ``min_side`` allows a big JPEG to be decoded at 1/2..1/8 scale while keeping its shorter side
    at least that long, which is much faster and saves memory.
    """
    path = Path(path)
    data = read_bytes(path)
    img, _info = decode_pil(data, path, max_side=max_side, min_side=min_side)
    return img


def load_rgb_tensor(
    path: Path | str, max_side: int | None = None, min_side: int | None = None
) -> torch.Tensor:
    """uint8 tensor of shape (3, H, W), same contract as :func:`load_rgb`."""
    path = Path(path)
    data = read_bytes(path)
    header = header_or_raise(data, path)
    if _fast_path_ok(header, max_side, min_side) and _torchvision_io() is not None:
        tensor = _decode_torchvision(data)
        if tensor is not None:
            return _fit(tensor, max_side)
    img, _info = decode_pil(data, path, max_side=max_side, min_side=min_side)
    return pil_to_tensor(img)


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """(3, H, W) uint8 tensor sharing no memory with the Pillow image."""
    from torchvision.transforms.v2 import functional as tvf

    return tvf.pil_to_tensor(img.convert("RGB"))


def _fast_path_ok(header: ImageHeader, max_side: int | None, min_side: int | None) -> bool:
    """torchvision decodes it exactly like the Pillow path would, and no draft is worth it."""
    if header.format == "jpeg":
        if not header.width:
            return False
        short, long = sorted((header.width, header.height))
        # A JPEG that the decoder could shrink by >= 2 is decoded faster (and smaller) by draft.
        return not ((max_side and long >= 2 * max_side) or (min_side and short >= 2 * min_side))
    if header.format == "png":
        # Opaque 8-bit grey/RGB only: torchvision returns palette PNGs with a garbage alpha
        # channel and 16-bit ones as uint16; for alpha PNGs Pillow's exact compositing on white
        # is as fast as torchvision + a tensor composite (bench/data_decode.py).
        return header.bit_depth == 8 and header.png_color_type in (0, 2) and not header.png_has_trns
    return False


def _decode_torchvision(data: bytes) -> torch.Tensor | None:
    """RGB uint8 tensor or None when torchvision refuses the file (Pillow then decides)."""
    import torch

    tv_image = _torchvision_io()
    assert tv_image is not None
    raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    try:
        tensor: torch.Tensor = tv_image.decode_image(raw, mode=tv_image.ImageReadMode.RGB)  # type: ignore[attr-defined]
    except RuntimeError:
        return None
    if tensor.dtype != torch.uint8 or tensor.shape[0] != 3:
        return None
    return tensor


def _fit(tensor: torch.Tensor, max_side: int | None) -> torch.Tensor:
    height, width = tensor.shape[-2:]
    if not max_side or max(height, width) <= max_side:
        return tensor
    from torchvision.transforms.v2 import functional as tvf

    scale = max_side / max(height, width)
    size = [max(1, round(height * scale)), max(1, round(width * scale))]
    return tvf.resize(tensor, size, antialias=True)
