"""ONNX with a dynamic batch dimension, checked with onnxruntime.

The torch.export-based exporter (``dynamo=True``, opset 18) is tried first; if it fails, the
legacy TorchScript-based exporter (opset 17, deprecated) is used and the report says so.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import torch
from torch import nn

from designer.export._space import is_disk_full
from designer.export.errors import ExportCancelledError, ExportError, describe
from designer.export.metadata import ExportMeta, WriteJob
from designer.export.parity import Runner

SUFFIX = ".onnx"
ADVICE = "neither ONNX exporter handled this model; export .pt2 or TorchScript instead"
DYNAMO_OPSET = 18
LEGACY_OPSET = 17
INPUT_NAME = "input"


def write(job: WriteJob) -> str:
    """Export (dynamo first, legacy as fallback), then embed labels/preprocessing."""
    require_packages()
    try:
        _export_dynamo(job)
        method = f"torch.onnx.export(dynamo=True), opset {DYNAMO_OPSET}, dynamic batch"
    except Exception as exc:  # any failure here: the legacy path often still works
        if is_disk_full(exc):
            raise  # the other exporter would fill the same disk
        if job.cancelled():
            raise ExportCancelledError("export cancelled: no file was written") from exc
        job.notes.append(
            f"The torch.export-based ONNX exporter failed ({describe(exc, 200)}); "
            "used the legacy exporter instead."
        )
        job.path.unlink(missing_ok=True)
        _export_legacy(job)
        method = f"torch.onnx.export(dynamo=False), opset {LEGACY_OPSET}, dynamic batch"
    embed_metadata(job.path, job.meta)
    return method


def require_packages() -> None:
    """ONNX support is the optional ``export`` extra: say how to get it instead of a traceback."""
    import importlib.util

    needed = ("onnx", "onnxruntime", "onnxscript")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(
            f"ONNX export needs {', '.join(missing)}: install them with "
            "`pip install 'netdesigner[export]'`, or choose another format"
        )


def _export_dynamo(job: WriteJob) -> None:
    batch = torch.export.Dim("batch", min=1)
    with contextlib.redirect_stdout(io.StringIO()):  # the exporter prints progress lines
        torch.onnx.export(
            job.model,
            (job.example,),
            str(job.path),
            dynamo=True,
            dynamic_shapes=({0: batch},),
            opset_version=DYNAMO_OPSET,
            input_names=[INPUT_NAME],
            output_names=job.output_names,
            external_data=False,
            verbose=False,
            report=False,
        )


def _export_legacy(job: WriteJob) -> None:
    axes = {name: {0: "batch"} for name in (INPUT_NAME, *job.output_names)}
    with contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        torch.onnx.export(
            job.model,
            (job.example,),
            str(job.path),
            dynamo=False,
            dynamic_axes=axes,
            opset_version=LEGACY_OPSET,
            input_names=[INPUT_NAME],
            output_names=job.output_names,
        )


def embed_metadata(path: Path, meta: ExportMeta) -> None:
    """Store labels/preprocessing as the model's ``metadata_props`` (replacing ours if present)."""
    import onnx

    proto = onnx.load(str(path))
    values = meta.as_strings()
    kept = [p for p in proto.metadata_props if p.key not in values]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for key, text in values.items():
        proto.metadata_props.add(key=key, value=text)
    onnx.save(proto, str(path))


def load(path: Path, model: nn.Module | None = None) -> tuple[Runner, dict[str, str]]:
    """An onnxruntime CPU session as a runner, and the model's ``metadata_props``."""
    require_packages()
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(x: torch.Tensor) -> list[torch.Tensor]:
        outputs = session.run(None, {name: x.detach().to("cpu").contiguous().numpy()})
        return [torch.from_numpy(out) for out in outputs]

    return run, dict(session.get_modelmeta().custom_metadata_map)
