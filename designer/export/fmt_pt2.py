"""``torch.export`` program (.pt2): the whole graph and weights, with a dynamic batch dimension."""

from __future__ import annotations

from pathlib import Path
from typing import IO, cast

import torch
from torch import nn

from designer.export._space import GuardedFile
from designer.export.metadata import META_FILES, WriteJob
from designer.export.parity import Runner, eager_runner

SUFFIX = ".pt2"
ADVICE = (
    "torch.export could not capture the model (often Python control flow that depends on tensor "
    "values, or a layer that fixes the batch size); try ONNX or TorchScript"
)


def write(job: WriteJob) -> str:
    """Export with batch marked dynamic (the example has batch ≥ 2, so it is not specialised)."""
    batch = torch.export.Dim("batch", min=1)
    program = torch.export.export(job.model, (job.example,), dynamic_shapes=({0: batch},))
    # a file object, not a path: a failed write then raises here instead of aborting the process
    with GuardedFile(job.path) as sink:
        torch.export.save(program, cast(IO[bytes], sink), extra_files=job.meta.as_files())
    return "torch.export.export (dynamic batch) + torch.export.save"


def load(path: Path, model: nn.Module | None = None) -> tuple[Runner, dict[str, str]]:
    """``torch.export.load(path).module()`` and the archive's extra files (no model needed)."""
    extra: dict[str, str] = dict.fromkeys(META_FILES, "")
    program = torch.export.load(str(path), extra_files=extra)
    return eager_runner(program.module()), {k: v for k, v in extra.items() if v}
