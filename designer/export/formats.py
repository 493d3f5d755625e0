"""``export_model``: write an artefact, load it back, compare outputs, and only then keep it.

Order of work (the GUI's progress bar follows it): check the target folder is writable, copy the
model (eval mode, CPU; the caller's model is never touched), compute reference outputs, write into
a staging folder, reload the staged file and compare, move into place. Any failure removes the
staging folder and raises ExportError; a file already at the target path survives a failed export.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType

from torch import Tensor, nn

from designer.export import _space
from designer.export._staging import Staging
from designer.export._warnings import captured_warnings
from designer.export.bundle import Format, format_module, runner_for
from designer.export.calibrated import calibrated
from designer.export.errors import ExportCancelledError, ExportError, describe
from designer.export.metadata import ExportMeta, WriteJob
from designer.export.parity import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    CheckInput,
    check,
    eager_runner,
    make_check_inputs,
)
from designer.export.report import ExportReport
from designer.export.timing import measure
from designer.zoo.preprocessing import Preprocessing

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


def export_model(
    model: nn.Module,
    fmt: Format,
    out_path: str | Path,
    *,
    example_input: Tensor,
    labels: Sequence[str] | None = None,
    preprocessing: Mapping[str, object] | Preprocessing | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    temperature: float = 1.0,
) -> ExportReport:
    """Export ``model`` as ``fmt`` to ``out_path`` and prove the file computes the same outputs.

    ``example_input`` is one batch the model accepts (e.g. ``torch.randn(1, 3, 224, 224)``).
    ``temperature`` (a calibrated run's): formats with a graph output the scores divided by it,
    so the softmax of the file's output is calibrated without any reader code; weights-only
    safetensors cannot hold the division and record the temperature for the reader to apply.
    Either way the metadata says which (see designer.export.metadata).
    Raises ExportError (ExportCancelledError when ``cancel()`` returned True) and leaves no file.
    """
    module = format_module(fmt)
    model, calibration = calibrated(model, fmt, temperature)
    meta = ExportMeta.build(labels, preprocessing, calibration)
    stages = _Stages(progress, cancel)
    stages.enter("prepare", 0.0, "checking the target folder")
    sides = tuple(n for n in getattr(module, "SIDE_FILES", ()) if n in meta.as_files())
    companions = tuple(getattr(module, "companions", lambda _n: ())(Path(out_path).name))
    with Staging(Path(out_path), sides + companions) as staging, _space_guard(staging, model):
        work = _frozen_copy(model)
        inputs = make_check_inputs(example_input)
        reference = _reference(work, inputs)
        _check_labels(meta, reference[0])
        job = WriteJob(work, staging.main, inputs[-1].tensor, meta, _output_names(reference[0]),
                       cancelled=cancel or (lambda: False))
        stages.enter("export", 0.1, "writing the file")
        method = _write(module, fmt, job)
        for name in sides:
            staging.side(name).write_text(meta.as_files()[name], encoding="utf-8")
        stages.enter("check", 0.6, "loading the file back and comparing its outputs")
        diff = _verify(fmt, job, inputs, reference, atol, rtol)
        latency: dict[str, float] = {}
        if getattr(module, "MEASURE_LATENCY", False):
            stages.enter("latency", 0.8, "timing the file and the model at batch 1")
            latency = _latency(fmt, job, inputs[0].tensor, cancel)
        stages.enter("commit", 0.95, "moving the file into place")
        paths = staging.commit()
    stages.finish()
    return ExportReport(
        format=fmt,
        paths=paths,
        method=method,
        max_abs_diff=diff,
        atol=atol,
        rtol=rtol,
        check_inputs=tuple(i.description for i in inputs),
        seconds=sum(stages.seconds.values()),
        stage_seconds=dict(stages.seconds),
        warnings=tuple(job.notes),
        latency_ms=latency,
    )


@contextlib.contextmanager
def _space_guard(staging: Staging, model: nn.Module) -> Iterator[None]:
    """Refuse up front when the file cannot fit; turn a disk that fills anyway into one message.

    Any write error that is really a full disk (whatever the library wrapped it in) becomes the
    same "not enough space" ExportError, measured after the partial file is gone.
    """
    folder = staging.target.parent
    needed = _space.estimate(model)
    _space.ensure_space(folder, needed)
    try:
        yield
    except Exception as exc:
        if isinstance(exc, ExportCancelledError) or not _space.is_disk_full(exc):
            raise
        staging.clear()  # free what the failed write took before measuring
        raise _space.not_enough_space(folder, needed, _space.free_bytes(folder)) from exc


def _frozen_copy(model: nn.Module) -> nn.Module:
    """A CPU, eval-mode, no-grad deep copy: exporters may mutate what they are given."""
    try:
        work = copy.deepcopy(model)
    except Exception as exc:  # e.g. a module holding a lock or an open file
        raise ExportError(
            f"cannot copy the model for export ({describe(exc)}); "
            "remove non-tensor state such as open files from the model"
        ) from exc
    work = work.to("cpu").eval()
    work.requires_grad_(False)
    return work


def _reference(work: nn.Module, inputs: list[CheckInput]) -> list[list[Tensor]]:
    run = eager_runner(work)
    try:
        return [run(item.tensor) for item in inputs]
    except ExportError:
        raise
    except Exception as exc:  # the model itself rejects the input: nothing to export yet
        raise ExportError(
            f"the model fails on the example input ({describe(exc)}): pass an example_input "
            "of the shape the model expects, e.g. torch.randn(1, 3, 224, 224)"
        ) from exc


def _check_labels(meta: ExportMeta, outputs: list[Tensor]) -> None:
    if meta.labels is None or len(outputs) != 1 or outputs[0].dim() != 2:
        return
    classes = outputs[0].shape[1]
    if classes != len(meta.labels):
        raise ExportError(
            f"the model outputs {classes} classes but {len(meta.labels)} labels were given: "
            "pass one label per output class"
        )


def _output_names(outputs: list[Tensor]) -> list[str]:
    return ["logits"] if len(outputs) == 1 else [f"output_{i}" for i in range(len(outputs))]


def _write(module: ModuleType, fmt: str, job: WriteJob) -> str:
    try:
        with captured_warnings(job.notes):
            return str(module.write(job))
    except ExportError:
        raise
    except Exception as exc:  # any exporter failure becomes one clear message
        raise ExportError(
            f"{fmt} export failed ({describe(exc)}); {module.ADVICE}. Nothing was written."
        ) from exc


def _latency(fmt: str, job: WriteJob, x: Tensor, cancel: Cancel | None) -> dict[str, float]:
    """Median batch-1 latency of the written file and of the PyTorch model, timed interleaved."""
    run, _values = runner_for(fmt)(job.path, job.model)
    eager = eager_runner(job.model)
    times = measure({fmt: lambda: run(x), "pytorch": lambda: eager(x)}, cancel=cancel)
    return {name: value.median_ms for name, value in times.items()}


def _verify(
    fmt: str, job: WriteJob, inputs: list[CheckInput], reference: list[list[Tensor]], atol: float, rtol: float
) -> float:
    with captured_warnings(job.notes):
        try:
            run, values = runner_for(fmt)(job.path, job.model)
        except ExportError:
            raise
        except Exception as exc:  # a file that does not load back is a failed check
            raise ExportError(
                f"parity check failed: the written {fmt} file could not be loaded back "
                f"({describe(exc)}). Nothing was written."
            ) from exc
        diff = check(reference, run, inputs, atol=atol, rtol=rtol, what=f"{fmt} file")
    if ExportMeta.from_strings(values) != job.meta:
        raise ExportError(
            f"parity check failed: the labels/preprocessing read back from the {fmt} file differ "
            "from what was written. Nothing was written."
        )
    return diff


class _Stages:
    """Progress reports, cancellation points and per-stage timings in one place."""

    def __init__(self, progress: Progress | None, cancel: Cancel | None) -> None:
        self._progress = progress
        self._cancel = cancel
        self._current: str | None = None
        self._since = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def enter(self, name: str, fraction: float, message: str) -> None:
        self._close()
        if self._cancel is not None and self._cancel():
            raise ExportCancelledError("export cancelled: no file was written")
        if self._progress is not None:
            self._progress(fraction, message)
        self._current = name

    def finish(self) -> None:
        self._close()
        if self._progress is not None:
            self._progress(1.0, "verified")

    def _close(self) -> None:
        now = time.perf_counter()
        if self._current is not None:
            self.seconds[self._current] = now - self._since
        self._since = now
