"""Image decoding speed: torchvision.io vs Pillow, and what designer.data's loader gets.

Prints images per second on one thread (best of 3) and the ratios, side by side in one run:

- JPEG photos (scikit-image's sample photos re-encoded at quality 90, 512 px and 2048 px);
- the same photos as RGB PNG;
- Tux Paint RGBA PNG cut-outs (if installed), composited on white: our Pillow path vs
  torchvision + a tensor composite;
- decode + training transform (RandomResizedCrop 224, flip, jitter) as a dataset item;
- a 6000x6000 JPEG decoded fully vs with JPEG draft at the size training needs.

Run: python bench/data_decode.py
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import torch
from PIL import Image
from torchvision.transforms.v2 import functional as tvf

warnings.filterwarnings("ignore", category=DeprecationWarning, module="torchvision")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from designer.data.loading import load_rgb_tensor  # noqa: E402
from designer.data.samples import tuxpaint_source  # noqa: E402
from designer.data.scan import scan  # noqa: E402
from designer.data.transforms import AugmentOptions, build_transforms  # noqa: E402
from designer.zoo.preprocessing import Preprocessing  # noqa: E402


def rate(fn: Callable[[Path], object], paths: list[Path], repeats: int = 3) -> float:
    """Best-of-``repeats`` images per second of ``fn`` over ``paths``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for p in paths:
            fn(p)
        best = min(best, time.perf_counter() - start)
    return len(paths) / best


def pil_plain(path: Path) -> torch.Tensor:
    """What a typical ImageFolder pipeline does: Image.open(...).convert('RGB')."""
    with Image.open(path) as img:
        return tvf.pil_to_tensor(img.convert("RGB"))


def tv_rgba_on_white(path: Path) -> torch.Tensor:
    """The alternative we rejected for alpha PNGs: torchvision RGBA decode + tensor composite."""
    from torchvision.io import ImageReadMode, decode_image

    raw = torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8)
    rgba = decode_image(raw, mode=ImageReadMode.RGB_ALPHA)
    alpha = rgba[3:4].float().div_(255)
    return (rgba[:3].float() - 255).mul_(alpha).add_(255.5).to(torch.uint8)


def photos(folder: Path, side: int, fmt: str = "jpg") -> list[Path]:
    """scikit-image's real sample photos, resized so the long side is ``side``."""
    data = resources.files("skimage") / "data"
    out = []
    for name in ("astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png"):
        with resources.as_file(data / name) as src:
            img = Image.open(src).convert("RGB")
        scale = side / max(img.size)
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BICUBIC)
        path = folder / f"{Path(name).stem}_{side}.{fmt}"
        img.save(path, **({"quality": 90} if fmt == "jpg" else {}))
        out.append(path)
    return out * 5


def row(label: str, ours: float, other: float, other_name: str) -> None:
    print(f"{label:<44} {ours:8.1f} img/s   {other_name} {other:8.1f}   ratio {ours / other:5.2f}")


def main() -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for side in (512, 2048):
            paths = photos(folder, side)
            row(f"JPEG {side}px: load_rgb_tensor vs PIL", rate(load_rgb_tensor, paths),
                rate(pil_plain, paths), "PIL")  # fmt: skip
        pngs = photos(folder, 512, "png")
        row("PNG 512px RGB: load_rgb_tensor vs PIL", rate(load_rgb_tensor, pngs),
            rate(pil_plain, pngs), "PIL")  # fmt: skip
        tux = tuxpaint_source()
        if tux is not None:
            cutouts = [s.path for s in scan(tux).samples][:60]
            row("Tux RGBA PNG on white: ours (PIL) vs tv+tensor", rate(load_rgb_tensor, cutouts),
                rate(tv_rgba_on_white, cutouts), "tv")  # fmt: skip
        pre = Preprocessing()
        train = build_transforms(pre, AugmentOptions.recommended(), train=True)
        paths = photos(folder, 512)
        row("JPEG 512px decode + train transform 224", rate(lambda p: train(load_rgb_tensor(p)), paths),
            rate(lambda p: train(pil_plain(p)), paths), "PIL")  # fmt: skip
        big = folder / "big.jpg"
        Image.open(paths[0]).resize((6000, 6000), Image.BILINEAR).save(big, quality=90)
        drafted = rate(lambda p: load_rgb_tensor(p, min_side=512), [big], 3)
        full = rate(load_rgb_tensor, [big], 3)
        row("6000x6000 JPEG: draft (min_side 512) vs full", drafted, full, "full")
        print(f"(one thread; torch {torch.__version__}; best of 3)")


if __name__ == "__main__":
    main()
