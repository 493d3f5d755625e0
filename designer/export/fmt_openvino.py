"""OpenVINO IR (.xml + .bin), converted from the PyTorch model and checked on OpenVINO's CPU runtime.

The batch dimension is dynamic; weights stay fp32 (``compress_to_fp16=False``) and the check runs
with ``INFERENCE_PRECISION_HINT=f32`` so it compares like with like (OpenVINO would otherwise pick
bf16 on CPUs that have it). Labels and preprocessing are stored in the model's ``rt_info`` under
``netdesigner``. Latency of the IR on the CPU is measured beside the PyTorch model's.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import io
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from designer.export import _space
from designer.export.errors import ExportError
from designer.export.metadata import META_KEYS, WriteJob
from designer.export.parity import Runner

SUFFIX = ".xml"
ADVICE = "OpenVINO could not convert this model; export ONNX instead (OpenVINO also reads ONNX)"
#: The export report gets the IR's CPU latency next to the PyTorch model's.
MEASURE_LATENCY = True
_RT_SECTION = "netdesigner"


def companions(name: str) -> tuple[str, ...]:
    """The weights file OpenVINO writes next to ``name`` (model.xml → model.bin)."""
    return (str(Path(name).with_suffix(".bin")),)


def require_packages() -> None:
    if importlib.util.find_spec("openvino") is None:
        raise ExportError("OpenVINO export needs the openvino package: `pip install openvino`, "
                          "or choose another format")


def write(job: WriteJob) -> str:
    """Convert (TorchScript tracing inside OpenVINO), store metadata, save fp32 IR."""
    require_packages()
    import openvino as ov

    shape = [-1, *job.example.shape[1:]]
    with contextlib.redirect_stdout(io.StringIO()):
        model = ov.convert_model(job.model, example_input=job.example, input=[shape])
    for key, text in job.meta.as_strings().items():
        model.set_rt_info(text, [_RT_SECTION, key])
    if job.cancelled():
        return "cancelled"
    try:
        ov.save_model(model, str(job.path), compress_to_fp16=False)
    except RuntimeError as error:  # OpenVINO's C++ writer says only "iostream error"
        free = _space.free_bytes(job.path.parent)
        if free is not None and free < _space.model_bytes(job.model):
            raise OSError(errno.ENOSPC, f"No space left on device while saving the IR ({error})") \
                from error
        raise
    return f"openvino.convert_model (PyTorch), OpenVINO {ov.__version__.split('-')[0]}, " \
           "fp32 IR, dynamic batch"


def load(path: Path, model: nn.Module | None = None) -> tuple[Runner, dict[str, str]]:
    """The IR compiled for OpenVINO's CPU plugin (fp32) as a runner, and its stored metadata."""
    require_packages()
    import openvino as ov

    core = ov.Core()
    ir = core.read_model(str(path))
    values = {key: str(ir.get_rt_info([_RT_SECTION, key]).astype(str))
              for key in META_KEYS if ir.has_rt_info([_RT_SECTION, key])}
    compiled: Any = core.compile_model(ir, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()

    def run(x: torch.Tensor) -> list[torch.Tensor]:
        result = request.infer(x.detach().to("cpu", torch.float32).contiguous().numpy())
        return [torch.from_numpy(np.array(result[out])) for out in compiled.outputs]

    return run, values
