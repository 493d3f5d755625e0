"""The persistent feature cache: frozen-backbone outputs kept on disk in the project.

A later run whose frozen part, preprocessing, image files and (for augmented passes) seeds are
unchanged reads the features instead of running the backbone again, so changing only the head,
the learning rate or the epochs starts training with zero backbone passes.

An entry is one split (or one augmented view of the training split) as a safetensors file named
by a SHA-256 key of everything that determines its values: the frozen part's code and weights,
the dataset's files (path, size, mtime, label), its transform's settings, the view index and
seeds, the autocast dtype and the torch version. Files are data only (safetensors, never
pickle), written to a temporary name and renamed into place (a kill leaves no half-written
entry), touched on use and evicted oldest-first past a size limit (LRU). A file that cannot be
read or does not fit the dataset is deleted and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.utils.data import Dataset, Subset, TensorDataset

DEFAULT_LIMIT = 2 * 2**30  # bytes kept on disk before the least recently used entries go
_FORMAT = "netdesigner.features.1"
_ENTRY = re.compile(r"[0-9a-f]{64}\.safetensors")
_LABELS = "labels"


@dataclass(frozen=True)
class Entry:
    """Features of one split (or augmented view) read back from the store."""

    tensors: list[torch.Tensor]
    labels: torch.Tensor


class FeatureStore:
    """A folder of feature files, bounded to ``limit`` bytes (least recently used go first)."""

    def __init__(self, folder: Path | str, limit: int = DEFAULT_LIMIT) -> None:
        if not isinstance(limit, int) or limit <= 0:
            raise ValueError(f"limit must be a positive number of bytes (got {limit!r})")
        self.folder = Path(folder)
        self.limit = limit

    def path(self, key: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"not a feature-cache key: {key!r}")
        return self.folder / f"{key}.safetensors"

    def load(self, key: str, rows: int, labels: Sequence[int] | None) -> Entry | None:
        """The entry, or None when absent, unreadable or not matching ``rows``/``labels`` (a
        damaged or foreign file is deleted so it is rebuilt)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            data = load_file(str(path))
            entry = _entry(data, rows, labels)
        except (SafetensorError, OSError, ValueError, RuntimeError):
            entry = None
        if entry is None:
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return entry

    def save(self, key: str, tensors: Sequence[torch.Tensor], labels: torch.Tensor) -> int:
        """Write the entry atomically and evict old entries; returns the bytes written.

        Raises OSError (e.g. a full disk) with no file left behind.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {f"t{i}": t.detach().to("cpu").contiguous() for i, t in enumerate(tensors)}
        data[_LABELS] = labels.detach().to("cpu", torch.int64).contiguous()
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=self.folder)
        os.close(fd)
        try:
            save_file(data, tmp, metadata={"format": _FORMAT, "count": str(len(tensors))})
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.evict(keep=key)
        return self.path(key).stat().st_size

    def entries(self) -> list[Path]:
        """Entry files, least recently used first (only names this store writes)."""
        if not self.folder.is_dir():
            return []
        files = [p for p in self.folder.iterdir() if _ENTRY.fullmatch(p.name) and p.is_file()]
        return sorted(files, key=lambda p: p.stat().st_mtime_ns)

    def evict(self, keep: str | None = None) -> None:
        """Delete least recently used entries until the store fits its limit; also removes
        temporary files left by a killed writer more than an hour ago."""
        files = self.entries()
        total = sum(p.stat().st_size for p in files)
        for path in files:
            if total <= self.limit:
                break
            if keep is not None and path.name == f"{keep}.safetensors":
                continue
            total -= path.stat().st_size
            path.unlink(missing_ok=True)
        _remove_stale_temporaries(self.folder)


def _remove_stale_temporaries(folder: Path) -> None:
    for path in folder.glob(".tmp-*.safetensors"):
        try:
            if time.time() - path.stat().st_mtime > 3600:
                path.unlink()
        except OSError:
            pass


def _entry(data: dict[str, torch.Tensor], rows: int, labels: Sequence[int] | None) -> Entry | None:
    if _LABELS not in data:
        return None
    tensors = []
    for i in range(len(data) - 1):
        tensor = data.get(f"t{i}")
        if tensor is None:
            return None
        tensors.append(tensor)
    stored = data[_LABELS]
    if not tensors or stored.shape != (rows,) or any(t.shape[0] != rows for t in tensors):
        return None
    if labels is not None and stored.tolist() != list(labels):
        return None
    return Entry(tensors, stored)


# -- keys ------------------------------------------------------------------------------------


def module_digest(module: nn.Module, code: str) -> str:
    """Hash of a frozen part: its generated code and every parameter and buffer's bytes."""
    digest = hashlib.sha256(code.encode())  # sha256: the fastest here (SHA-NI)
    for name, tensor in sorted(module.state_dict(keep_vars=False).items()):
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(_bytes(tensor))
    return digest.hexdigest()


def dataset_fingerprint(dataset: Dataset[Any]) -> str | None:
    """What determines a dataset's samples, or None when it cannot be told (then nothing is
    kept): image files by path, size, mtime and label plus the transform's settings; tensor
    datasets by their contents; subsets by their indices."""
    digest = hashlib.sha256()
    if isinstance(dataset, Subset):
        inner = dataset_fingerprint(dataset.dataset)
        if inner is None:
            return None
        digest.update(inner.encode())
        digest.update(repr(list(map(int, dataset.indices))).encode())
        return digest.hexdigest()
    if isinstance(dataset, TensorDataset):
        for tensor in dataset.tensors:
            digest.update(f"{tensor.dtype}:{tuple(tensor.shape)}".encode())
            digest.update(_bytes(tensor))
        return digest.hexdigest()
    samples = getattr(dataset, "samples", None)
    if not isinstance(samples, list) or not hasattr(dataset, "transform"):
        return None
    for sample in samples:
        path = getattr(sample, "path", None)
        label = getattr(sample, "label", None)
        if path is None or label is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None  # unreadable now: extraction will name the file
        digest.update(f"{os.fspath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\0{label}\n".encode())
    digest.update(describe_transform(dataset.transform).encode())
    digest.update(repr(getattr(dataset, "min_side", None)).encode())
    return digest.hexdigest()


def describe_transform(transform: Any) -> str:
    """The settings of a transforms.v2 pipeline (``repr`` alone omits e.g. ToDtype's dtype)."""
    if transform is None:
        return "None"
    inner = getattr(transform, "transforms", None)
    if isinstance(inner, list | tuple):
        return f"{type(transform).__name__}[{','.join(describe_transform(t) for t in inner)}]"
    fields = sorted((k, repr(v)) for k, v in vars(transform).items()
                    if not k.startswith("_") and k != "training")
    return f"{type(transform).__module__}.{type(transform).__qualname__}{fields}"


def entry_key(*parts: object) -> str:
    """SHA-256 of the key parts (strings and numbers)."""
    text = "\0".join([_FORMAT, torch.__version__, *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()


def _bytes(tensor: torch.Tensor) -> memoryview:
    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    if flat.numel() == 0:
        return memoryview(b"")
    return flat.view(torch.uint8).numpy().data
