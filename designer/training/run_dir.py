"""The run folder's one owner: the only code that knows its file names, reading and writing them.

Layout: ``run.json`` (identity, data settings, stats), ``design.json`` (what was trained),
``options.json``, ``manifest.json`` (the data split), ``provenance.json`` (seed, resolved
"auto" choices, library versions, data digest), ``initial.safetensors`` (the starting values
of the tensors training changes, for re-runs), ``history.json`` and ``history.csv``,
``best.safetensors`` and ``last.safetensors`` (weights only, loadable anywhere),
``checkpoint.pt`` (resume state: tensors and primitives only, so it loads with
``weights_only=True``), ``evaluation.json``, ``calibration.json`` (an optional temperature fitted
after training), ``run.log`` and ``summary.json`` (written last: a
run without it was interrupted). Every file except the append-only log is written to a
temporary file, flushed to disk and moved into place, so a crash never leaves half a file; the
temporary files a kill leaves behind are removed when the run is opened.

While a process trains in the folder it holds an advisory lock on ``.training.lock`` (released
by the operating system when the process dies, even by SIGKILL), which is how a reader tells a
running run from an interrupted one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.training.errors import CheckpointError
from designer.training.failures import (
    DiskFullError,
    disk_full_message,
    is_disk_full,
    require_free_space,
    tensor_bytes,
)
from designer.training.history import History
from designer.training.options import TrainingOptions
from designer.training.run_records import RunCalibration, RunInfo, RunStatus, RunSummary
from designer.zoo.cache import read_json

if TYPE_CHECKING:
    import torch

try:  # advisory locks: POSIX only (elsewhere a run is never reported as running)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

OPTIONS, MANIFEST, HISTORY_JSON, HISTORY_CSV = (
    "options.json", "manifest.json", "history.json", "history.csv",
)
BEST, LAST, CHECKPOINT, LOG, SUMMARY = (
    "best.safetensors", "last.safetensors", "checkpoint.pt", "run.log", "summary.json",
)
PROVENANCE, INITIAL = "provenance.json", "initial.safetensors"
RUN_INFO, DESIGN, EVALUATION, LOCK = "run.json", "design.json", "evaluation.json", ".training.lock"
CALIBRATION = "calibration.json"
SCRIPT_DIR, SCRIPT_RESULTS, SCRIPT_WEIGHTS = "script", "results.json", "trained.safetensors"
#: files whose interrupted writes leave ``.<name>.<random>.tmp`` behind
_WRITTEN = (OPTIONS, MANIFEST, HISTORY_JSON, HISTORY_CSV, BEST, LAST, CHECKPOINT, SUMMARY,
            RUN_INFO, DESIGN, EVALUATION, PROVENANCE, INITIAL, CALIBRATION)
WEIGHTS = {"best": BEST, "last": LAST}
#: longest run name (it labels plots and list rows)
MAX_NAME = 80


def atomic_write(path: Path, write: Callable[[Path], object], size: int | None = None) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, flush it to disk, then replace
    ``path`` with it (so neither a kill nor a power loss leaves a partial or empty file).

    A full disk raises :class:`DiskFullError` naming the folder (``size``: the bytes the file
    needs, when known, checked before writing) and leaves no temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if size is not None:
        require_free_space(path.parent, size)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        _raise_if_disk_full(error, path, size)
        raise
    try:
        # held until the rename: a reader's clean-up (RunDir.clean_leftovers) skips a temporary
        # file that is being written; a killed writer's lock is released by the OS
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        write(Path(tmp))
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        _raise_if_disk_full(error, path, size)
        raise
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):  # the rename itself; not every file system allows it
        _fsync(path.parent)


def _raise_if_disk_full(error: BaseException, path: Path, size: int | None) -> None:
    """Turn a full disk into DiskFullError (the writer's own error, e.g. torch's "unexpected
    pos", says nothing useful)."""
    if is_disk_full(error) and not isinstance(error, DiskFullError):
        raise DiskFullError(f"Cannot write {path.name}: "
                            + disk_full_message(path.parent, size)) from error


def _fsync(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, data: Any, *, indent: int | None = 2) -> None:
    """``data`` as JSON, atomically; ``indent=None``: one line, by json's C encoder (~10x
    faster than indenting, which runs in Python: a design's 30 ms, holding the GIL)."""
    text = json.dumps(data, indent=indent, sort_keys=False, default=str)
    atomic_write(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def save_weights(path: Path, state: Mapping[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """safetensors needs contiguous, unshared CPU tensors: copy each (tied weights stay loadable)."""
    from safetensors.torch import save_file  # torch: not on the window's start-up path

    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata),
                 size=tensor_bytes(tensors))


def load_weights(path: Path | str) -> dict[str, torch.Tensor]:
    """A state dict saved by :func:`save_weights` (``model.load_state_dict(load_weights(p))``)."""
    from safetensors.torch import load_file

    return load_file(str(path))


def load_checkpoint(path: Path | str, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Resume state; only tensors and primitives are unpickled (``weights_only=True``)."""
    import torch

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
    """One run folder: writes every file of a run and reads each back as a typed record.

    ``RunDir(path)`` creates the folder (for writers); :meth:`open` reads an existing one.
    """

    def __init__(self, path: Path | str, create: bool = True) -> None:
        self.path = Path(path)
        if create:
            self.path.mkdir(parents=True, exist_ok=True)

    @classmethod
    def open(cls, path: Path | str) -> RunDir:
        """An existing run folder (not created); leftovers of interrupted writes are removed
        unless a process is training in it right now."""
        run = cls(path, create=False)
        if run.path.is_dir() and not run.is_running():
            run.clean_leftovers()
        return run

    @staticmethod
    def is_run(path: Path) -> bool:
        """True for a folder that the workflow made into a run (it has run.json)."""
        return (path / RUN_INFO).is_file()

    # ----- writing ---------------------------------------------------------------------------
    def write_info(self, info: RunInfo) -> None:
        write_json(self.path / RUN_INFO, info.to_dict())

    def write_label(self, name: str, note: str = "") -> RunInfo:
        """Rename the run and set its note (in run.json, atomically); returns the new record."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("A run needs a name; type one or keep the old one.")
        if not isinstance(note, str):
            raise TypeError(f"note must be text, got {type(note).__name__}")
        if len(name.strip()) > MAX_NAME:
            raise ValueError(f"A run name has at most {MAX_NAME} characters.")
        info = replace(self.read_info(), name=name.strip(), note=note.strip())
        self.write_info(info)
        return info

    def write_design(self, document: Mapping[str, Any]) -> None:
        write_json(self.path / DESIGN, dict(document))

    def write_evaluation(self, document: Mapping[str, Any]) -> None:
        write_json(self.path / EVALUATION, dict(document))

    def write_calibration(self, calibration: RunCalibration) -> None:
        write_json(self.path / CALIBRATION, calibration.to_dict())

    def clear_calibration(self) -> None:
        """Go back to the model's own probabilities (removes only calibration.json)."""
        (self.path / CALIBRATION).unlink(missing_ok=True)

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

    def clear_summary(self) -> None:
        """The run is training again (resumed): until it finishes it counts as interrupted."""
        (self.path / SUMMARY).unlink(missing_ok=True)

    def save_weights(self, name: str, state: Mapping[str, torch.Tensor], **meta: str) -> Path:
        path = self.path / WEIGHTS.get(name, name)
        save_weights(path, state, {"format": "netdesigner-weights", **meta})
        return path

    def save_checkpoint(self, state: Mapping[str, Any]) -> None:
        import torch

        atomic_write(self.path / CHECKPOINT, lambda tmp: torch.save({"format": 1, **state}, tmp),
                     size=tensor_bytes(state))

    def log(self, message: str, level: str = "info") -> None:
        """Append one timestamped line to run.log (append-only, flushed at once)."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        tag = "" if level == "info" else f"{level.upper()}: "
        with self.log_path.open("a", encoding="utf-8") as stream:
            stream.write(f"{stamp} {tag}{message}\n")

    def write_log(self, text: str) -> None:
        """Replace run.log (a run trained by another program, whose output is the log)."""
        atomic_write(self.log_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    @property
    def log_path(self) -> Path:
        return self.path / LOG

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def script_dir(self) -> Path:
        """Where a generated training script for this run is written."""
        return self.path / SCRIPT_DIR

    def script_results(self) -> tuple[dict[str, Any], Path]:
        """(results.json, trained weights) that the generated script wrote into this folder."""
        return read_json(self.path / SCRIPT_RESULTS), self.path / SCRIPT_WEIGHTS

    # ----- reading ---------------------------------------------------------------------------
    def read_info(self) -> RunInfo:
        return RunInfo.from_dict(read_json(self.path / RUN_INFO), self.path.name)

    def read_design(self) -> dict[str, Any]:
        """design.json as a JSON object ({} when missing)."""
        return read_json(self.path / DESIGN)

    @property
    def design_path(self) -> Path:
        return self.path / DESIGN

    def read_evaluation(self) -> dict[str, Any]:
        """evaluation.json as a JSON object ({} when the run was not evaluated)."""
        return read_json(self.path / EVALUATION)

    def read_calibration(self) -> RunCalibration | None:
        """The fitted temperature (None: not calibrated, or an unusable file)."""
        return RunCalibration.from_dict(read_json(self.path / CALIBRATION))

    def read_options(self) -> TrainingOptions | None:
        """The options the run trained with (None when missing or not valid options)."""
        data = read_json(self.path / OPTIONS)
        try:
            return TrainingOptions.from_dict(data) if data else None
        except (ValueError, TypeError):
            return None

    def read_manifest(self) -> dict[str, Any] | None:
        return read_json(self.path / MANIFEST) or None

    def read_provenance(self) -> dict[str, Any]:
        """provenance.json ({} for runs made before it was recorded)."""
        return read_json(self.path / PROVENANCE)

    def initial_weights(self) -> dict[str, torch.Tensor] | None:
        """The starting values of the tensors the run trained (None when not recorded)."""
        path = self.path / INITIAL
        return load_weights(path) if path.is_file() else None

    def read_history(self) -> History:
        data = read_json(self.path / HISTORY_JSON)
        try:
            return History.from_dict(data)
        except (TypeError, ValueError):
            return History()

    def read_summary(self) -> RunSummary | None:
        """How the run ended (None: it has not ended - running, or interrupted by a kill)."""
        data = read_json(self.path / SUMMARY)
        return RunSummary.from_dict(data) if data else None

    def status(self, summary: RunSummary | None = None) -> RunStatus:
        """completed / stopped / failed from the summary; without one, running or interrupted."""
        summary = summary if summary is not None else self.read_summary()
        if summary is not None:
            return summary.status
        return "running" if self.is_running() else "interrupted"

    def has_checkpoint(self) -> bool:
        return self.checkpoint_path.is_file()

    def has_weights(self, which: str = "last") -> bool:
        """Whether the run wrote its ``best`` or ``last`` weights file."""
        return (self.path / WEIGHTS[which]).is_file()

    def trained_weights(self, which: str = "best") -> dict[str, torch.Tensor] | None:
        """The weights a reader should use: ``best`` (or ``last``) weights of a finished run; for
        an interrupted run those of its last completed epoch, from the checkpoint. None when the
        run has no trained weights."""
        if which not in WEIGHTS:
            raise ValueError(f"which must be 'best' or 'last', not {which!r}")
        interrupted = self.read_summary() is None and self.has_checkpoint()
        if not interrupted:
            for name in (WEIGHTS[which], LAST):
                if (self.path / name).is_file():
                    return load_weights(self.path / name)
        if self.has_checkpoint():
            return _checkpoint_weights(load_checkpoint(self.checkpoint_path), which)
        return None

    # ----- liveness and leftovers ------------------------------------------------------------
    @contextlib.contextmanager
    def training_lock(self) -> Iterator[None]:
        """Held while a process trains here; released by the OS even when the process is killed."""
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        with (self.path / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def is_running(self) -> bool:
        """True while a process (this one or another) trains in this folder."""
        lock = self.path / LOCK
        if fcntl is None or not lock.is_file():
            return False
        try:
            with lock.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle, fcntl.LOCK_UN)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def leftovers(self) -> list[Path]:
        """Temporary files of writes that a kill interrupted (only names this class writes)."""
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.iterdir()
                      if p.is_file() and p.name.endswith(".tmp")
                      and any(p.name.startswith(f".{name}.") for name in _WRITTEN))

    def clean_leftovers(self) -> list[Path]:
        """Remove :meth:`leftovers` (call only when no process trains here) except those that a
        live writer is still writing (e.g. the run's start or finish, which happen outside the
        training lock, in this or another process); returns the removed ones."""
        removed = [path for path in self.leftovers() if not _being_written(path)]
        for path in removed:
            path.unlink(missing_ok=True)
        return removed


def _being_written(path: Path) -> bool:
    """True while :func:`atomic_write` (of any process) holds its lock on the temporary file."""
    if fcntl is None:  # pragma: no cover - Windows: no way to tell; treat as abandoned
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True  # renamed or removed meanwhile: nothing to clean
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def _checkpoint_weights(checkpoint: Mapping[str, Any], which: str) -> dict[str, torch.Tensor]:
    """Model weights from a checkpoint: its last weights, or the best ones it tracked."""
    state = dict(checkpoint["model"])
    best = checkpoint.get("best") or {}
    keep = (checkpoint.get("options") or {}).get("keep", "best")
    if which == "best" and keep == "best" and isinstance(best.get("state"), Mapping):
        state.update(best["state"])
    return state

