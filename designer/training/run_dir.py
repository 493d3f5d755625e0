"""The run directory: everything needed to inspect, reproduce or resume a run.

Layout: ``options.json``, ``manifest.json`` (the data split, from the caller), ``provenance.json``
(seed, resolved "auto" choices, library versions, data digest), ``initial.safetensors`` (the
starting values of the tensors training changes, for re-runs), ``history.json``
and ``history.csv``, ``best.safetensors`` and ``last.safetensors`` (weights only, loadable
anywhere), ``checkpoint.pt`` (resume state: tensors and primitives only, so it loads with
``weights_only=True``), ``run.log`` and ``summary.json``. Every file except the append-only log
is written to a temporary file and moved into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from designer.training.errors import CheckpointError
from designer.training.history import History
from designer.training.options import TrainingOptions

OPTIONS, MANIFEST, HISTORY_JSON, HISTORY_CSV = (
    "options.json", "manifest.json", "history.json", "history.csv",
)
BEST, LAST, CHECKPOINT, LOG, SUMMARY = (
    "best.safetensors", "last.safetensors", "checkpoint.pt", "run.log", "summary.json",
)
PROVENANCE, INITIAL = "provenance.json", "initial.safetensors"


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path`` then replace ``path`` with it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=False, default=str)
    atomic_write(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def save_weights(path: Path, state: Mapping[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """safetensors needs contiguous, unshared CPU tensors: copy each (tied weights stay loadable)."""
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def load_weights(path: Path | str) -> dict[str, torch.Tensor]:
    """A state dict saved by :func:`save_weights` (``model.load_state_dict(load_weights(p))``)."""
    return load_file(str(path))


def load_checkpoint(path: Path | str, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Resume state; only tensors and primitives are unpickled (``weights_only=True``)."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}; pick a run directory that has {CHECKPOINT}.")
    try:
        data = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:
        raise CheckpointError(
            f"Cannot read checkpoint {path} ({type(error).__name__}: {error}); "
            "it may be incomplete or from another version - start a new run instead."
        ) from error
    if not isinstance(data, dict) or data.get("format") != 1:
        raise CheckpointError(f"{path} is not a NetDesigner training checkpoint.")
    return data


class RunDir:
    """Writer for one run directory (created if missing)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def write_options(self, options: TrainingOptions, extra: Mapping[str, Any] | None = None) -> None:
        write_json(self.path / OPTIONS, {**options.to_dict(), **(extra or {})})

    def write_manifest(self, manifest: Mapping[str, Any] | None) -> None:
        if manifest is not None:
            write_json(self.path / MANIFEST, dict(manifest))

    def write_provenance(self, record: Mapping[str, Any]) -> None:
        """What a re-run needs (designer.training.provenance)."""
        write_json(self.path / PROVENANCE, dict(record))

    def write_history(self, history: History) -> None:
        write_json(self.path / HISTORY_JSON, history.to_dict())
        csv_text = history.to_csv()
        atomic_write(self.path / HISTORY_CSV, lambda tmp: tmp.write_text(csv_text, "utf-8"))

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        write_json(self.path / SUMMARY, dict(summary))

    def save_weights(self, name: str, state: Mapping[str, torch.Tensor], **meta: str) -> Path:
        path = self.path / name
        save_weights(path, state, {"format": "netdesigner-weights", **meta})
        return path

    def save_checkpoint(self, state: Mapping[str, Any]) -> None:
        atomic_write(self.path / CHECKPOINT, lambda tmp: torch.save({"format": 1, **state}, tmp))

    def log(self, message: str, level: str = "info") -> None:
        """Append one timestamped line to run.log (append-only, flushed at once)."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        tag = "" if level == "info" else f"{level.upper()}: "
        with (self.path / LOG).open("a", encoding="utf-8") as stream:
            stream.write(f"{stamp} {tag}{message}\n")


def read_json(path: Path | str) -> Any:
    """Read one of the run directory's JSON files."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
