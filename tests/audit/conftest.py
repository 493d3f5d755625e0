"""A copy of the Tux Paint photos in train/val/test folders, with planted label mistakes and a
leaked augmented copy: the audit must find what the fixture did (it never sees the answer)."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from designer.audit import AuditFeatures
from designer.data import scan, split_scan, tuxpaint_source

needs_photos = pytest.mark.skipif(
    tuxpaint_source() is None,
    reason="Tux Paint photos missing: apt-get install tuxpaint-stamps-default")


@dataclass(frozen=True)
class PlantedData:
    root: Path
    moved: dict[str, str]  # new relative path -> true class
    leak: tuple[str, str]  # (training image, its augmented copy in val), relative paths


def copy_tuxpaint(root: Path) -> dict[str, Path]:
    """Copy the photos into root/<split>/<class>/ (the seeded default split); relative -> path."""
    source = tuxpaint_source()
    assert source is not None
    manifest = split_scan(scan(source))
    copied = {}
    for entry in manifest.entries:
        name = manifest.classes[entry.label]
        relative = f"{entry.split}/{name}/{Path(entry.path).name}"
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(manifest.root / entry.path, target)
        copied[relative] = target
    return copied


def augmented_copy(path: Path, target: Path) -> None:
    """Mirror image, 8 % cropped off each side: the 'same photo' a split must not share."""
    with Image.open(path) as img:
        img = ImageOps.mirror(img.convert("RGBA"))
        w, h = img.size
        dx, dy = round(w * 0.08), round(h * 0.08)
        img.crop((dx, dy, w - dx, h - dy)).save(target)


def plant(root: Path, mistakes: int = 10, seed: int = 7) -> PlantedData:
    copied = copy_tuxpaint(root)
    classes = sorted({rel.split("/")[1] for rel in copied})
    rng = random.Random(seed)
    moved = {}
    for relative in rng.sample(sorted(copied), mistakes):
        split, true_class, name = relative.split("/")
        wrong = rng.choice([c for c in classes if c != true_class])
        new = f"{split}/{wrong}/{name}"
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(root / relative, root / new)
        moved[new] = true_class
    train = sorted(rel for rel in copied if rel.startswith("train/") and rel not in moved
                   and (root / rel).exists())
    original = rng.choice(train)
    _split, cls, name = original.split("/")
    leaked = f"val/{cls}/leaked-{name}"
    augmented_copy(root / original, root / leaked)
    return PlantedData(root, moved, (original, leaked))


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> PlantedData:
    return plant(tmp_path_factory.mktemp("tuxpaint") / "photos")


@pytest.fixture(scope="session")
def lite0_features(planted: PlantedData) -> AuditFeatures:
    from designer.audit import extract_features, feature_model
    from designer.surgery.opening import open_model

    design = feature_model(open_model("efficientnet_lite0_bundled", "bundled"))
    manifest = split_scan(scan(planted.root))
    store = planted.root.parent / "features"  # the CLI test reads them back from here
    return extract_features(manifest, design, "efficientnet_lite0_bundled (pretrained)",
                            store=store)
