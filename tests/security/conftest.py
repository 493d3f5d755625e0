"""Crafted files for the security tests: a tiny real design, and ways to poison its files.

Every test writes its own files into tmp_path. `Evil` is a module the tests put on sys.path
(and on a subprocess's PYTHONPATH) that leaves a marker file when it is imported and another
when its function is called, so "nothing ran" is something a test can see. The helpers reach
the tests through the `kit` fixture (test modules cannot import each other here).
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image
from torch import nn

from designer.project.design_io import save_design
from designer.surgery.design import Design
from designer.surgery.opening import from_module

EVIL_SOURCE = '''
import pathlib
pathlib.Path(__file__).with_name("imported.marker").write_text("imported")

def boom(*args, **kwargs):
    pathlib.Path(__file__).with_name("called.marker").write_text("called")
    return args[0] if args else None
'''


class Tiny(nn.Module):
    """Catalog layers only (so a file can rebuild it) plus each kind of non-module operation."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(self.relu(self.conv(x)))
        y = torch.flatten(y, start_dim=1)  # function with a keyword argument
        y = y.view(y.shape[0], -1)  # getattr, getitem and a method
        y = y.to(torch.float32)  # a dtype constant
        return self.fc(y) + 0  # operator


@dataclass
class Evil:
    """Markers that show whether anything named by a crafted file was imported or called."""

    folder: Path

    @property
    def imported(self) -> Path:
        return self.folder / "imported.marker"

    @property
    def called(self) -> Path:
        return self.folder / "called.marker"

    @property
    def shell(self) -> Path:
        return self.folder / "shell.marker"

    def nothing_ran(self) -> bool:
        return not (self.imported.exists() or self.called.exists() or self.shell.exists())


@pytest.fixture
def evil(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Evil:
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "evil_ops.py").write_text(EVIL_SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "evil_ops", raising=False)
    return Evil(folder)


def tiny_design() -> Design:
    torch.manual_seed(0)
    return from_module(Tiny(), input_size=16)


@pytest.fixture
def design_dir(tmp_path: Path) -> Path:
    """A saved, legitimate design folder (design.json + weights.safetensors)."""
    folder = tmp_path / "design"
    save_design(tiny_design(), folder)
    return folder


Layers = list[dict[str, Any]]


def layer_of(layers: Layers, op: str, target: str | None = None) -> dict[str, Any]:
    """The first layer dict with this op (and target)."""
    return next(item for item in layers if item["op"] == op
                and (target is None or item["target"] == target))


def craft(source: Path, target: Path, mutate: Callable[[dict[str, Any]], None]) -> Path:
    """Copy design folder `source` to `target` with its design.json changed by `mutate`."""
    data = json.loads((source / "design.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    mutate(data)
    target.mkdir(parents=True, exist_ok=True)
    (target / "design.json").write_text(json.dumps(data), encoding="utf-8")
    if source != target:
        shutil.copyfile(source / "weights.safetensors", target / "weights.safetensors")
    return target


def image_folder(root: Path, classes: tuple[str, ...] = ("a", "b"), per_class: int = 3) -> Path:
    """A tiny class-folder dataset of real PNGs."""
    for index, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            colour = (60 * index + 20 * i, 200 - 60 * index, 40 * i)
            Image.new("RGB", (20, 20), colour).save(root / name / f"{name}{i}.png")
    return root


@dataclass(frozen=True)
class Kit:
    """The helpers above, for the tests."""

    tiny_design: Callable[[], Design] = tiny_design
    layer_of: Callable[..., dict[str, Any]] = layer_of
    craft: Callable[[Path, Path, Callable[[dict[str, Any]], None]], Path] = craft
    image_folder: Callable[..., Path] = image_folder


@pytest.fixture
def kit() -> Kit:
    return Kit()
