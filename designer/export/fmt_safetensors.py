"""Weights only, as safetensors (no pickle): the architecture comes from the project or script.

Labels and preprocessing go in the file's header metadata and in ``labels.json`` /
``preprocessing.json`` side files in the same folder, so plain tools can read them.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import safetensors
import safetensors.torch
import torch
from torch import nn

from designer.export.errors import ExportError
from designer.export.metadata import META_FILES, WriteJob
from designer.export.parity import Runner, eager_runner

SUFFIX = ".safetensors"
ADVICE = "check that the model's tensors are ordinary (not meta or sparse) tensors"
SIDE_FILES = META_FILES


def write(job: WriteJob) -> str:
    """Save the state dict; shared tensors are stored once (``save_model`` handles ties)."""
    metadata = {"format": "pt", **job.meta.as_strings()}
    safetensors.torch.save_model(job.model, str(job.path), metadata=metadata)
    return "safetensors.torch.save_model"


def load(path: Path, model: nn.Module | None) -> tuple[Runner, dict[str, str]]:
    """Load the weights into a copy of ``model`` whose tensors were first set to NaN.

    Poisoning makes the check prove that every tensor came from the file: a key the file lacks
    would leave NaN behind and fail the comparison instead of silently keeping the old value.
    """
    if model is None:
        raise ExportError("a safetensors file holds weights only: pass the model to load it into")
    target = copy.deepcopy(model).to("cpu").eval()
    with torch.no_grad():
        for tensor in target.state_dict(keep_vars=True).values():
            tensor.fill_(math.nan if tensor.is_floating_point() else 0)
    try:
        safetensors.torch.load_model(target, str(path), strict=True, device="cpu")
    except RuntimeError as exc:
        raise ExportError(
            f"{path.name} does not fit this model ({str(exc).splitlines()[0][:300]}): "
            "load it into the model it was exported from"
        ) from exc
    return eager_runner(target), read_metadata(path)


def read_metadata(path: Path) -> dict[str, str]:
    """Header metadata, completed by side files next to ``path`` when the header lacks a key."""
    with safetensors.safe_open(str(path), framework="pt") as handle:
        values: dict[str, str] = dict(handle.metadata() or {})
    for name in SIDE_FILES:
        side = path.parent / name
        if side.is_file():
            values.setdefault(name, side.read_text(encoding="utf-8"))
    return values
