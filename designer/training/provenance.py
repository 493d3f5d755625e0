"""What a run needs to be reproduced: seed, resolved "auto" choices, library versions, data digest.

Written into the run folder at the start of every run (``provenance.json``). A re-run reads it
back: the same options and seed with every "auto" replaced by what this run resolved, the same
CPU thread count, and a warning when the data or the libraries are not the ones recorded.
On a CPU the same inputs give the same weights bit for bit; CUDA kernels (cuDNN algorithm
choice, atomic adds) may differ in the last bits, and the record says so.
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from torch import nn

from designer.training.accel import Acceleration, cpu_name
from designer.training.options import TrainingOptions

PROVENANCE_VERSION = 1
_LIBRARIES = ("torch", "torchvision", "timm", "numpy", "safetensors", "pillow")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that decide a run's numbers (and Python's)."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def data_digest(manifest: Mapping[str, Any] | None) -> str | None:
    """SHA-256 over the manifest's classes and entries with each file's size and mtime.

    Cheap (one ``stat`` per image, no reading): a re-run on changed, added or removed images is
    told so. Paths are taken relative to the manifest's root, so a moved folder still matches
    when its files kept their times. Missing files count as size -1.
    """
    if manifest is None:
        return None
    root = Path(str(manifest.get("root", ".")))
    digest = hashlib.sha256()
    digest.update(repr(list(manifest.get("classes", []))).encode("utf-8"))
    for path, label, split in manifest.get("entries", []):
        try:
            stat = (root / str(path)).stat()
            size, mtime = stat.st_size, stat.st_mtime_ns
        except OSError:
            size, mtime = -1, 0
        digest.update(f"\n{path}\t{label}\t{split}\t{size}\t{mtime}".encode())
    return digest.hexdigest()


def bit_exactness(device: torch.device) -> tuple[bool, str]:
    """Whether a re-run can match this run bit for bit, and why (shown in the records)."""
    if device.type == "cuda":
        return False, ("trained on a GPU: some CUDA kernels (cuDNN's algorithm choice, atomic "
                       "additions) vary between runs, so a re-run matches closely but not bit "
                       "for bit")
    return True, ("trained on the CPU: the same inputs, seed, thread count and libraries give "
                  "the same weights bit for bit")


def provenance(options: TrainingOptions, accel: Acceleration,
               manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """The record written as the run's ``provenance.json``."""
    exact, why = bit_exactness(accel.device)
    return {
        "version": PROVENANCE_VERSION,
        "seed": options.seed,
        "resolved": accel.resolved(),
        "cpu_threads": torch.get_num_threads(),
        "libraries": library_versions(),
        "data_digest": data_digest(manifest),
        "bit_exact": exact,
        "bit_exact_reason": why,
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "system": platform.system()},
    }


def changing_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The tensors training may change (trainable parameters, all buffers), by state-dict name.

    Saved at the start as ``initial.safetensors``: with the run's final weights for everything
    else (frozen tensors never change) they give the exact starting point of the run. For a
    frozen-backbone run this is little more than the head.
    """
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    buffers = {name for name, _ in model.named_buffers()}
    return {k: v for k, v in model.state_dict().items() if k in trainable or k in buffers}


def rerun_options(options: TrainingOptions, record: Mapping[str, Any]) -> TrainingOptions:
    """``options`` with every "auto" the recorded run resolved replaced by its resolution."""
    resolved = record.get("resolved") or {}
    changes: dict[str, Any] = {}
    for key in ("mixed_precision", "channels_last", "num_workers", "device"):
        if key in resolved and getattr(options, key) == "auto":
            changes[key] = resolved[key]
    if changes.get("device") not in (None, "cpu", "cuda"):
        changes.pop("device")
    return options.replace(**changes)


def differences(record: Mapping[str, Any], manifest: Mapping[str, Any] | None) -> list[str]:
    """What differs now from the recorded run (data, libraries), in words."""
    notes = []
    digest = data_digest(manifest)
    if record.get("data_digest") and digest != record.get("data_digest"):
        notes.append("the images are not the ones the run recorded (files changed, added or "
                     "removed since)")
    now, then = library_versions(), record.get("libraries") or {}
    changed = [f"{k} {then[k]} -> {now.get(k)}" for k in then if now.get(k) != then[k]]
    if changed:
        notes.append("library versions differ: " + ", ".join(changed))
    return notes
