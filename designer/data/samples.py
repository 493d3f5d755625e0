"""Sample datasets that work offline: Tux Paint photos (if installed) and generated shapes."""

from __future__ import annotations

import colorsys
import json
import os
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from designer.data.sources import ClassFolders

if TYPE_CHECKING:  # numpy, PIL: only to generate images (tuxpaint_source is on start-up's path)
    import numpy as np
    from PIL import Image, ImageDraw

TUXPAINT_STAMPS = Path("/usr/share/tuxpaint/stamps")
#: The five photo classes of Debian's tuxpaint-stamps-default (169 photos, cartoons excluded).
TUXPAINT_CLASSES = {
    "mammals": "animals/mammals",
    "birds": "animals/birds",
    "fruit": "food/fruit",
    "flowers": "plants/flowers",
    "vegetables": "food/vegetables",
}
SHAPES = ("circle", "square", "triangle", "stripes", "cross", "ring")
_MARKER = ".netdesigner-sample.json"


def tuxpaint_source(stamps: Path = TUXPAINT_STAMPS) -> ClassFolders | None:
    """The 5-class Tux Paint photo set, or None when the Debian package is not installed."""
    folders = {name: [stamps / sub] for name, sub in TUXPAINT_CLASSES.items()}
    if not all(p.is_dir() for paths in folders.values() for p in paths):
        return None
    return ClassFolders(folders, extensions=frozenset({".png"}), exclude=("cartoon",))


def default_sample_root() -> Path:
    """Per-user cache folder for generated samples (``NETDESIGNER_SAMPLES`` overrides it)."""
    override = os.environ.get("NETDESIGNER_SAMPLES")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "NetDesigner" / "Cache" / "samples"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "NetDesigner" / "samples"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "netdesigner" / "samples"


def generated_dataset(
    root: Path, classes: int = 4, per_class: int = 24, size: int = 64, seed: int = 0
) -> Path:
    """Write (or reuse) a deterministic shapes dataset and return its folder.

    One sub-folder per class (circle, square, triangle, stripes, cross, ring), alternating PNG and
    JPEG files, random colours, positions and sizes plus noise: easy enough for a small CNN to
    learn in an epoch or two, real files so the whole import path is exercised.
    """
    if not 2 <= classes <= len(SHAPES):
        raise ValueError(f"classes must be between 2 and {len(SHAPES)}, got {classes}")
    if per_class < 1 or size < 16:
        raise ValueError(f"need per_class >= 1 and size >= 16, got {per_class} and {size}")
    folder = Path(root) / f"shapes-{classes}x{per_class}-{size}px-seed{seed}"
    params = {"classes": classes, "per_class": per_class, "size": size, "seed": seed, "version": 3}
    marker = folder / _MARKER
    if _complete(marker, params):
        return folder
    import numpy as np

    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    files = []
    for shape in SHAPES[:classes]:
        (folder / shape).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            image = _add_noise(_draw(shape, classes, size, rng), noise)
            name = f"{shape}/{shape}_{i:03d}.{'png' if i % 2 == 0 else 'jpg'}"
            if name.endswith(".png"):
                image.save(folder / name, format="PNG")
            else:
                image.save(folder / name, format="JPEG", quality=90)
            files.append(name)
    marker.write_text(json.dumps({**params, "files": files}), encoding="utf-8")
    return folder


def _complete(marker: Path, params: dict[str, int]) -> bool:
    """The marker is written last, so its presence with matching params means all files exist."""
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if {k: data.get(k) for k in params} != params:
        return False
    return all((marker.parent / f).is_file() for f in data.get("files", []))


def _colours(
    class_index: int, classes: int, rng: random.Random
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Dark grey-ish background; bright foreground whose hue leans towards the class's own.

    The hue cue (+-20 degrees around one hue per class) is what makes the set learnable within
    an epoch or two by a small network; the shapes carry the rest of the signal.
    """
    level = rng.randrange(10, 90)
    bg = tuple(min(255, level + rng.randrange(25)) for _ in range(3))
    hue = (class_index / classes + rng.uniform(-20, 20) / 360) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, rng.uniform(0.55, 1.0), rng.uniform(0.7, 1.0))
    return bg, (round(r * 255), round(g * 255), round(b * 255))  # type: ignore[return-value]


def _draw(shape: str, classes: int, size: int, rng: random.Random) -> Image.Image:
    from PIL import Image, ImageDraw

    bg, fg = _colours(SHAPES.index(shape), classes, rng)
    image = Image.new("RGB", (size, size), bg)
    draw = ImageDraw.Draw(image)
    side = rng.uniform(0.45, 0.8) * size
    x0 = rng.uniform(0, size - side)
    y0 = rng.uniform(0, size - side)
    box = (x0, y0, x0 + side, y0 + side)
    width = max(2, round(side / 6))
    if shape == "circle":
        draw.ellipse(box, fill=fg)
    elif shape == "square":
        draw.rectangle(box, fill=fg)
    elif shape == "triangle":
        draw.polygon([(x0 + side / 2, y0), (x0, y0 + side), (x0 + side, y0 + side)], fill=fg)
    elif shape == "stripes":
        _stripes(draw, size, fg, rng)
    elif shape == "cross":
        cx, cy = x0 + side / 2, y0 + side / 2
        draw.rectangle((x0, cy - width, x0 + side, cy + width), fill=fg)
        draw.rectangle((cx - width, y0, cx + width, y0 + side), fill=fg)
    else:  # ring
        draw.ellipse(box, outline=fg, width=width)
    return image


def _stripes(draw: ImageDraw.ImageDraw, size: int, fg: tuple[int, int, int], rng: random.Random) -> None:
    period = rng.randint(6, 12)
    vertical = rng.random() < 0.5
    for start in range(rng.randrange(period), size, period):
        band = (
            (start, 0, start + period // 2 - 1, size)
            if vertical
            else (0, start, size, start + period // 2 - 1)
        )
        draw.rectangle(band, fill=fg)


def _add_noise(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    import numpy as np
    from PIL import Image

    arr = np.asarray(image).astype(np.int16)
    arr += rng.integers(-20, 21, size=arr.shape, dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
