"""Open an exported artefact again: used by the parity check, the tests and the CLI.

``load_exported(path)`` finds the format (suffix first, then the file's content), loads it on the
CPU, and returns a callable with the labels and preprocessing stored alongside.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal, cast

from torch import Tensor, nn

from designer.export import fmt_onnx, fmt_openvino, fmt_pt2, fmt_safetensors, fmt_torchscript
from designer.export._warnings import captured_warnings
from designer.export.errors import ExportError
from designer.export.metadata import ExportMeta
from designer.export.parity import Runner

Format = Literal["safetensors", "torchscript", "onnx", "pt2", "openvino"]
FORMAT_MODULES: dict[str, ModuleType] = {
    "safetensors": fmt_safetensors,
    "torchscript": fmt_torchscript,
    "onnx": fmt_onnx,
    "pt2": fmt_pt2,
    "openvino": fmt_openvino,
}
SUFFIXES: dict[str, str] = {name: module.SUFFIX for name, module in FORMAT_MODULES.items()}
_SUFFIX_TO_FORMAT = {
    ".safetensors": "safetensors",
    ".onnx": "onnx",
    ".pt2": "pt2",
    ".pt": "torchscript",
    ".ts": "torchscript",
    ".torchscript": "torchscript",
    ".jit": "torchscript",
    ".xml": "openvino",
}


@dataclass(frozen=True)
class LoadedExport:
    """A reloaded artefact: call it on a batch to get its outputs (a list of CPU tensors)."""

    format: str
    path: Path
    run: Runner
    labels: tuple[str, ...] | None
    preprocessing: dict[str, object] | None
    warnings: tuple[str, ...] = field(default=())
    #: {"temperature": T, "in_outputs": bool} for a calibrated run's export, else None
    calibration: dict[str, object] | None = None

    def __call__(self, x: Tensor) -> list[Tensor]:
        return self.run(x)


def format_module(fmt: str) -> ModuleType:
    """The module that writes and reads ``fmt``; ExportError lists the valid names."""
    try:
        return FORMAT_MODULES[fmt]
    except KeyError:
        raise ExportError(
            f"unknown export format {fmt!r}: choose one of {', '.join(FORMAT_MODULES)}"
        ) from None


def detect_format(path: str | Path) -> Format:
    """Format from the suffix, else from the content (zip archives, ONNX protobuf, safetensors,
    OpenVINO XML)."""
    path = Path(path)
    by_suffix = _SUFFIX_TO_FORMAT.get(path.suffix.lower())
    if by_suffix is not None:
        return cast(Format, by_suffix)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(n.endswith("/archive_format") for n in names):
            return "pt2"
        if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
            return "torchscript"
    with path.open("rb") as handle:
        start = handle.read(512)
    head = start[:9]
    if len(head) == 9 and head[8:9] == b"{":
        return "safetensors"
    if start.lstrip().startswith(b"<") and b"<net " in start:  # OpenVINO IR: an XML <net>
        return "openvino"
    if head[:1] == b"\x08":  # protobuf field 1 (ir_version), varint: how every ONNX file starts
        return "onnx"
    raise ExportError(f"cannot tell which format {path} is: give the format explicitly")


def load_exported(
    path: str | Path, fmt: Format | None = None, *, model: nn.Module | None = None
) -> LoadedExport:
    """Load an artefact on the CPU; ``model`` is needed only for weights-only safetensors."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path} does not exist or is not a file")
    name = fmt or detect_format(path)
    notes: list[str] = []
    with captured_warnings(notes):
        run, values = format_module(name).load(path, model)
    meta = ExportMeta.from_strings(values)
    return LoadedExport(name, path, run, meta.labels, meta.preprocessing, tuple(notes),
                        meta.calibration)


def runner_for(fmt: str) -> Callable[[Path, nn.Module | None], tuple[Runner, dict[str, str]]]:
    """The loader the parity check uses for ``fmt``."""
    return cast(Callable[[Path, nn.Module | None], tuple[Runner, dict[str, str]]], format_module(fmt).load)
