"""The failures a user can fix without reading a traceback: out of memory, a full disk, an
image size or transform that cannot work. Each is recognised here, once, and worded with its
cause and its fix; the engine, the CLI and the GUI worker all use these words."""

from __future__ import annotations

import errno
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from designer.data.errors import TransformError
from designer.training.errors import TrainingError

#: what a write needs on top of its own size (file system metadata, the small JSON files after it)
FREE_SPACE_MARGIN = 64 * 2**10

_DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
#: how full disks show through writers that do not raise OSError (torch.save's zip writer,
#: safetensors)
_DISK_FULL_TEXT = ("no space left on device", "unexpected pos", "disk quota exceeded",
                   "file write failed")
_OUT_OF_MEMORY_TEXT = ("out of memory", "can't allocate memory", "cannot allocate memory",
                       "failed to allocate memory")

OUT_OF_MEMORY_ADVICE = ("Lower the batch size or the image size, or freeze the backbone (fewer "
                        "layers to train), then train again.")


def _torch() -> Any:
    """torch if it is loaded (None: no tensor or torch error can exist yet). The start-up path
    reads runs without importing torch (seconds) just to recognise torch's objects."""
    return sys.modules.get("torch")


class DiskFullError(TrainingError, OSError):
    """A file could not be written because its disk is full; names the folder and the space."""


def is_out_of_memory(error: BaseException) -> bool:
    """True for MemoryError, torch's OutOfMemoryError and allocator errors (also when wrapped,
    e.g. by a transform or a DataLoader worker, which keep the allocator's words)."""
    torch = _torch()
    if isinstance(error, MemoryError) or (
            torch is not None and isinstance(error, torch.OutOfMemoryError)):
        return True
    return isinstance(error, RuntimeError | TransformError) and any(
        t in str(error).lower() for t in _OUT_OF_MEMORY_TEXT)


def is_disk_full(error: BaseException) -> bool:
    """True when a write failed for lack of space (also when the writer hides the OSError)."""
    if isinstance(error, DiskFullError):
        return True
    if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
        return True
    return any(t in str(error).lower() for t in _DISK_FULL_TEXT)


def _megabytes(count: int) -> str:
    return f"{count / 2**20:,.1f} MB" if count >= 2**20 else f"{max(count, 1) / 2**10:,.0f} KB"


def disk_full_message(folder: Path, needed: int | None = None) -> str:
    """'The disk holding FOLDER is full (2.0 MB free; this needs about 9.4 MB). …'."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    numbers = [f"{_megabytes(free)} free" if free is not None else "",
               f"this needs about {_megabytes(needed)}" if needed else ""]
    detail = "; ".join(n for n in numbers if n)
    return (f"The disk holding {folder} is full{f' ({detail})' if detail else ''}. Free some "
            "space there (or choose another folder for runs), then resume or train again.")


def require_free_space(folder: Path, needed: int) -> None:
    """Refuse a write of about ``needed`` bytes that would not fit (before a writer that cannot
    fail cleanly starts)."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # unknown: let the write itself tell
    if free < needed + FREE_SPACE_MARGIN:
        raise DiskFullError(disk_full_message(folder, needed + FREE_SPACE_MARGIN))


def tensor_bytes(value: Any) -> int:
    """Bytes of every tensor in a (nested) state dict, list or tuple."""
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, Mapping):
        return sum(tensor_bytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(tensor_bytes(v) for v in value)
    return 0


def explain(error: BaseException, folder: Path | None = None) -> str | None:
    """The plain message for a failure the user can fix (None: not one of those)."""
    if isinstance(error, DiskFullError):
        return str(error)
    if is_disk_full(error):
        return disk_full_message(folder) if folder is not None else (
            "The disk is full. Free some space, then resume or train again.")
    if is_out_of_memory(error):
        return f"Out of memory. {OUT_OF_MEMORY_ADVICE}"
    return None


def last_message(error: BaseException) -> str:
    """The error's own message without the traceback a DataLoader worker wraps around it."""
    text = str(error).strip()
    marker = f"{type(error).__name__}: "
    if "Traceback" in text and marker in text:
        text = text.rsplit(marker, 1)[1].strip()
    return text
