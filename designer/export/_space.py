"""Disk space: refuse an export up front when it cannot fit, and name a full disk when one fills.

PyTorch's archive writer (``inline_container.cc``, behind ``torch.jit.save``, ``torch.export.save``
and ``torch.save``) throws from a destructor when a write fails, which terminates the whole process
(exit 134) instead of raising. Two guards keep that from happening here:

- :func:`ensure_space` compares the free space with an estimate (the model's tensor bytes plus a
  margin) before anything is written, so the usual case gets a clear message at once;
- :class:`GuardedFile` is the file those writers get instead of a path: its ``write`` never fails
  (it remembers the first error and drops the rest), so the C++ writer always finishes normally,
  and :meth:`GuardedFile.close` then raises the remembered error as an ordinary Python exception.
  It costs no memory beyond the writer's own buffers (measured in tests/export/test_full_disk.py).
"""

from __future__ import annotations

import contextlib
import errno
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from torch import nn

from designer.export.errors import ExportError

#: Archive overhead on top of the tensor bytes: code, constants, zip headers, alignment padding.
MARGIN_FRACTION = 0.10
MARGIN_BYTES = 2 * 1024 * 1024
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_FULL_TEXTS = ("no space left on device", "os error 28", "disk quota exceeded", "file too large")


def model_bytes(model: nn.Module) -> int:
    """Bytes of the model's parameters and buffers, each shared storage counted once."""
    seen: set[int] = set()
    total = 0
    for tensor in model.state_dict(keep_vars=True).values():
        storage = tensor.untyped_storage()
        key = storage.data_ptr() if storage.data_ptr() else id(tensor)
        if key not in seen:
            seen.add(key)
            total += storage.nbytes()
    return total


def estimate(model: nn.Module) -> int:
    """Roughly how many bytes one exported file of ``model`` takes (an upper-ish estimate)."""
    return int(model_bytes(model) * (1 + MARGIN_FRACTION)) + MARGIN_BYTES


def free_bytes(folder: Path) -> int | None:
    """Free bytes for this user in ``folder``; None when the system cannot tell."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def mb(n: int) -> str:
    """'12.3 MB' (decimal megabytes, one decimal under 100)."""
    value = n / 1e6
    return f"{value:.1f} MB" if value < 100 else f"{value:,.0f} MB"


def not_enough_space(folder: Path, needed: int, free: int | None) -> ExportError:
    """The one message for a full disk: where, how much is needed, how much is free."""
    have = "" if free is None else f", {mb(free)} free"
    return ExportError(
        f"not enough space in {folder}: needs ~{mb(needed)}{have}. Free some space or choose "
        "another folder; nothing was written."
    )


def ensure_space(folder: Path, needed: int) -> None:
    """Raise the full-disk ExportError when ``folder`` has less than ``needed`` bytes free."""
    free = free_bytes(folder)
    if free is not None and free < needed:
        raise not_enough_space(folder, needed, free)


def is_disk_full(error: BaseException) -> bool:
    """True for ENOSPC/EDQUOT/EFBIG, also when a library wrapped it in its own exception."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if any(text in str(current).lower() for text in _FULL_TEXTS):
            return True
        current = current.__cause__ or current.__context__
    return False


class GuardedFile(io.RawIOBase):
    """A binary file whose writes never raise; :meth:`close` raises the first write error.

    Give it to writers that must not see a failing write (PyTorch's C++ archive writer aborts the
    process when one does). Use as a context manager: on leaving, the file is closed and any
    remembered error is raised; an error inside the block wins over the remembered one.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: BinaryIO | None = path.open("wb")
        self.error: OSError | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        size = memoryview(data).nbytes
        self._guard(lambda f: f.write(data))
        return size  # always "all of it": the writer must finish; close() reports the failure

    def flush(self) -> None:
        self._guard(lambda f: f.flush())

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._guard(lambda f: f.seek(offset, whence))
        return self.tell()

    def tell(self) -> int:
        return self._file.tell() if self._file is not None else 0

    def close(self) -> None:
        """Close the file; raise the first error any write, flush or the close itself hit."""
        handle, self._file = self._file, None
        if handle is not None:
            try:
                handle.close()  # flushes: a full disk often shows only here
            except OSError as exc:
                self.error = self.error or exc
        super().close()
        if self.error is not None:
            error, self.error = self.error, None  # raised once, not again from __del__
            raise error

    def _guard(self, step: Callable[[BinaryIO], object]) -> None:
        if self.error is None and self._file is not None:
            try:
                step(self._file)
            except OSError as exc:
                self.error = exc

    def __enter__(self) -> GuardedFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            with contextlib.suppress(OSError):  # the exception already in flight says more
                self.close()
