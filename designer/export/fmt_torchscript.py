"""TorchScript (.pt): ``torch.jit.script``, or ``torch.jit.trace`` when scripting fails.

Kept for C++/LibTorch and older deployments; torch.jit is deprecated in PyTorch ≥ 2.9, which the
report always says.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from designer.export._space import GuardedFile
from designer.export.errors import describe
from designer.export.metadata import META_FILES, WriteJob
from designer.export.parity import Runner, eager_runner

SUFFIX = ".pt"
ADVICE = "TorchScript cannot compile or trace this model; export ONNX or .pt2 instead"
DEPRECATION = (
    "TorchScript (torch.jit) is deprecated in PyTorch ≥ 2.9 and may be removed; "
    "prefer ONNX or .pt2 for new deployments."
)


def write(job: WriteJob) -> str:
    """Script the model; fall back to tracing it on the batch-3 example."""
    job.notes.append(DEPRECATION)
    _drop_string_annotations(job.model)
    try:
        module = torch.jit.script(job.model)
        method = "torch.jit.script"
    except Exception as exc:  # noqa: BLE001 - script rejects many Python constructs; trace may not
        job.notes.append(
            f"torch.jit.script failed ({describe(exc, 200)}); used torch.jit.trace, which records "
            "one path through the model: Python branches are frozen to the example's path."
        )
        with torch.no_grad():
            module = torch.jit.trace(job.model, job.example)
        method = "torch.jit.trace"
    # a file object, not a path: a failed write then raises here instead of aborting the process
    with GuardedFile(job.path) as sink:
        torch.jit.save(module, sink, _extra_files=job.meta.as_files())
    return method


def _drop_string_annotations(model: nn.Module) -> None:
    """fx keeps ``from __future__ import annotations`` types as strings, which script rejects.

    ``x: "Tensor"`` becomes ``_Tensor_`` in the generated code ("Unknown type name"); without an
    annotation TorchScript assumes Tensor, which is what a classifier takes. ``model`` is the
    exporter's private copy, so editing its graph is safe.
    """
    if not isinstance(model, torch.fx.GraphModule):
        return
    changed = False
    for node in model.graph.nodes:
        if isinstance(node.type, str):
            node.type = None
            changed = True
    if changed:
        model.recompile()


def load(path: Path, model: nn.Module | None = None) -> tuple[Runner, dict[str, str]]:
    """``torch.jit.load`` onto the CPU and the archive's extra files (no model needed)."""
    extra: dict[str, str | bytes] = dict.fromkeys(META_FILES, "")
    module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    meta = {k: v.decode("utf-8") if isinstance(v, bytes) else v for k, v in extra.items() if v}
    return eager_runner(module), meta
