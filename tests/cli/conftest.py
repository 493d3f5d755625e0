"""A tiny image folder and one trained run, shared by the command-line tests of this folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from designer.cli import main

CLASSES = ("blue", "red")


def write_folder(root: Path, per_class: int = 6, size: int = 32) -> Path:
    """root/<class>/<n>.png: noisy red or blue squares a model tells apart in one epoch."""
    rng = np.random.default_rng(0)
    for name in CLASSES:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, size=(size, size, 3))
            pixels[..., 2 if name == "blue" else 0] += 180
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{name}{i}.png")
    return root


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("images") / "data")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, image_folder: Path) -> Path:
    """A resnet18 (random weights, 32 px) trained for one epoch by `netdesigner train`."""
    out = tmp_path_factory.mktemp("runs")
    code = main(["train", "--model", "resnet18", "--weights", "none", "--data", str(image_folder),
                 "--image-size", "32", "--epochs", "1", "--batch-size", "4", "--freeze-up-to", "",
                 "--out", str(out), "--json"])
    assert code == 0
    return Path(next(p for p in out.iterdir() if p.is_dir()))
