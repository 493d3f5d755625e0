"""Write-then-rename: exports land in a hidden folder next to the target until they are verified.

The staging folder sits in the target's own directory, so the final ``os.replace`` is an atomic
rename on the same file system, and a failure anywhere removes the folder with everything an
exporter wrote into it (including any side files it chose to create). A file already at the target
path is replaced only after the new one passed its check.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from designer.export.errors import ExportError

_PREFIX = ".netdesigner-export-"


class Staging:
    """Temporary files for one export; use as a context manager, call :meth:`commit` on success."""

    def __init__(self, target: Path, side_names: tuple[str, ...] = ()) -> None:
        self.target = Path(target)
        self.side_names = side_names
        self._dir: Path | None = None

    def __enter__(self) -> Staging:
        folder = self.target.parent
        if self.target.is_dir():
            raise ExportError(
                f"{self.target} is a folder: give a file name such as "
                f"{self.target / ('model' + self.target.suffix)}"
            )
        try:
            self._dir = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=folder))
            probe = self._dir / ".probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            self._cleanup()
            raise ExportError(
                f"cannot write to {folder} ({exc.strerror or exc}): choose another folder"
            ) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup()

    @property
    def main(self) -> Path:
        """Where the exporter writes the main artefact (same file name as the target)."""
        return self._staged(self.target.name)

    def side(self, name: str) -> Path:
        """Where a side file (``labels.json``…) is staged; it lands next to the target."""
        if name not in self.side_names:
            raise KeyError(name)
        return self._staged(name)

    def final_paths(self) -> tuple[Path, ...]:
        """The files a successful commit produces, main artefact first."""
        return (self.target, *(self.target.parent / n for n in self.side_names))

    def commit(self) -> tuple[Path, ...]:
        """Move every staged file into place (side files first, the main artefact last)."""
        finals = self.final_paths()
        staged = (self.main, *(self.side(n) for n in self.side_names))
        moved: list[Path] = []
        try:
            mode = self._new_file_mode()
            for src in staged:  # some writers create private (0600) files; ours are ordinary
                if src.exists():
                    src.chmod(mode)
            for src, dst in reversed(list(zip(staged, finals, strict=True))):
                if src.exists():
                    os.replace(src, dst)
                    moved.append(dst)
        except OSError as exc:
            for path in moved:  # half an export is worse than none
                with contextlib.suppress(OSError):
                    path.unlink()
            raise ExportError(
                f"cannot write to {self.target.parent} ({exc.strerror or exc}): choose another folder"
            ) from exc
        return tuple(p for p in finals if p.exists())

    def _new_file_mode(self) -> int:
        """The permissions an ordinary new file gets here (the user's umask applied)."""
        probe = self._staged(".mode-probe")
        probe.touch()
        try:
            return probe.stat().st_mode & 0o777
        finally:
            probe.unlink()

    def clear(self) -> None:
        """Delete what was staged so far (the folder stays until the block ends)."""
        if self._dir is not None:
            for path in self._dir.iterdir():
                with contextlib.suppress(OSError):
                    path.unlink()

    def _staged(self, name: str) -> Path:
        if self._dir is None:
            raise RuntimeError("Staging used outside its `with` block")
        return self._dir / name

    def _cleanup(self) -> None:
        if self._dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._dir)
            self._dir = None


@contextlib.contextmanager
def created_folder(folder: Path) -> Iterator[Path]:
    """Create `folder` (and missing parents) for one write; remove what was created if it stays empty.

    A failed export must not leave even an empty folder behind, while a folder that existed
    before, or that now holds files, is never touched.
    """
    folder = Path(folder)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        raise ExportError(f"cannot write to {folder} ({exc.strerror or exc}): choose another folder") from exc
    try:
        yield folder
    finally:
        _remove_empty(missing)


def _remove_empty(created: list[Path]) -> None:
    for path in created:  # deepest first
        try:
            path.rmdir()
        except OSError:
            return  # not empty (or gone): leave it and everything above it

