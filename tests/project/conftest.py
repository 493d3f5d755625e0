"""Fixtures of the project tests: tiny generated image folders for tests that train for real."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image


def _colour_images(root: Path, per_class: int = 16) -> Path:
    """Three tiny classes that differ by colour (enough to train on in a fraction of a second)."""
    rng = random.Random(0)
    for index, name in enumerate(("red", "green", "blue")):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            colour = [rng.randint(0, 80) for _ in range(3)]
            colour[index] = rng.randint(150, 255)
            Image.new("RGB", (24, 24), tuple(colour)).save(folder / f"{name}{i}.png")
    return root


@pytest.fixture
def colour_images(tmp_path: Path) -> Path:
    """tmp_path/data with red, green and blue class folders of 16 small images each."""
    return _colour_images(tmp_path / "data")
