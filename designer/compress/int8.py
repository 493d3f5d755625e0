"""INT8 that really is INT8: ONNX Runtime static quantization, checked on the validation split.

Steps (the progress bar follows them): export the model to fp32 ONNX with the usual parity check,
run ONNX Runtime's pre-processing (shape inference, constant folding), ``quantize_static`` in QDQ
form with per-channel INT8 weights and UINT8 activations calibrated on training images (percentile
ranges, merged batch by batch so memory stays bounded),
count which Conv/MatMul/Gemm kernels ONNX Runtime really runs in INT8, then score fp32 and INT8
on the validation split (accuracy, per-class accuracy, agreement) and time both at batch 1.
The file is kept only when at least ``MIN_INT8_SHARE`` of the heavy kernels are integer ones;
otherwise the export is refused (a float model with a few INT8 layers is not an INT8 model).
Weights use 7 bits (``reduce_range``): on CPUs without VNNI (AVX2, as here) the U8×S8 kernels
saturate with 8-bit weights; measured on Lite0 + sample photos, full-range MinMax lost 15 points
of validation accuracy, reduced-range percentile none.
Everything is written in a staging folder first: a failure or cancel leaves no file.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from designer.compress.onnx_ops import OpCount, count_file_ops, count_runtime_ops
from designer.export import ExportCancelledError, ExportError, export_model
from designer.export._staging import Staging
from designer.export._warnings import captured_warnings
from designer.export.calibrated import calibrated
from designer.export.errors import describe
from designer.export.fmt_onnx import embed_metadata
from designer.export.metadata import ExportMeta
from designer.export.timing import measure
from designer.zoo.preprocessing import Preprocessing

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
ImageSet = Dataset[tuple[Tensor, int]]

INT8_SUFFIX = ".int8.onnx"
#: Share of heavy kernels that must run in INT8 for the file to be called INT8.
MIN_INT8_SHARE = 0.9
#: Accuracy drop (in points) above which the report warns.
WARN_DROP_POINTS = 1.0
DEFAULT_CALIBRATION_IMAGES = 64
_CALIBRATION_BATCH = 8
_EVAL_BATCH = 16


@dataclass(frozen=True)
class SplitScore:
    """Top-1 accuracy on the validation split, overall and per class (None: class not present)."""

    accuracy: float
    per_class: tuple[float | None, ...]
    images: int


@dataclass(frozen=True)
class Int8Report:
    """Before/after of one INT8 export: ops, sizes, accuracy, latency."""

    path: Path
    fp32_bytes: int
    int8_bytes: int
    file_ops: OpCount
    runtime_ops: OpCount
    classes: tuple[str, ...]
    fp32: SplitScore
    int8: SplitScore
    agreement: float
    fp32_ms: float
    int8_ms: float
    calibration_images: int
    fp32_max_abs_diff: float
    seconds: float
    warnings: tuple[str, ...] = field(default=())
    format: str = "onnx-int8"

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.path,)

    @property
    def max_abs_diff(self) -> float:
        """The fp32 export's parity with the app's model (INT8 is judged by accuracy instead)."""
        return self.fp32_max_abs_diff

    @property
    def size_ratio(self) -> float:
        return self.int8_bytes / self.fp32_bytes

    @property
    def speedup(self) -> float:
        return self.fp32_ms / self.int8_ms if self.int8_ms > 0 else 0.0

    @property
    def accuracy_drop_points(self) -> float:
        return 100.0 * (self.fp32.accuracy - self.int8.accuracy)

    def table(self) -> list[str]:
        """The before/after table, one line per row (CLI and dialog tooltip)."""
        ops = self.runtime_ops
        lines = [
            f"{'':<22}{'fp32 ONNX':>12}{'INT8 ONNX':>12}",
            f"{'file size (MB)':<22}{self.fp32_bytes / 1e6:>12.2f}{self.int8_bytes / 1e6:>12.2f}"
            f"   ×{self.size_ratio:.2f}",
            f"{'latency batch 1 (ms)':<22}{self.fp32_ms:>12.2f}{self.int8_ms:>12.2f}"
            f"   ×{self.speedup:.2f} faster",
            f"{'accuracy (val)':<22}{self.fp32.accuracy:>12.3f}{self.int8.accuracy:>12.3f}"
            f"   {-self.accuracy_drop_points:+.1f} points on {self.fp32.images} images",
        ]
        for name, a, b in zip(self.classes, self.fp32.per_class, self.int8.per_class, strict=True):
            if a is not None and b is not None:
                lines.append(f"{'  ' + name[:20]:<22}{a:>12.3f}{b:>12.3f}   {100 * (b - a):+.1f}")
        lines.append(f"INT8 kernels: {ops.quantized} of {ops.total} conv/matmul/gemm "
                     f"({100 * ops.share:.0f} %), top-1 agreement {100 * self.agreement:.1f} %, "
                     f"calibrated on {self.calibration_images} training images")
        return lines

    def summary(self) -> str:
        return (f"onnx-int8 → {self.path}: {self.runtime_ops.quantized}/{self.runtime_ops.total} "
                f"heavy ops INT8, {self.size_ratio:.2f}× the fp32 size, {self.speedup:.2f}× fp32 "
                f"speed, accuracy {self.fp32.accuracy:.3f} → {self.int8.accuracy:.3f}")

    def to_dict(self) -> dict[str, object]:
        return {
            "format": self.format, "paths": [str(self.path)], "fp32_bytes": self.fp32_bytes,
            "int8_bytes": self.int8_bytes, "size_ratio": self.size_ratio,
            "file_ops": self.file_ops.to_dict(), "runtime_ops": self.runtime_ops.to_dict(),
            "classes": list(self.classes),
            "fp32": {"accuracy": self.fp32.accuracy, "per_class": list(self.fp32.per_class)},
            "int8": {"accuracy": self.int8.accuracy, "per_class": list(self.int8.per_class)},
            "validation_images": self.fp32.images, "agreement": self.agreement,
            "accuracy_drop_points": self.accuracy_drop_points, "fp32_ms": self.fp32_ms,
            "int8_ms": self.int8_ms, "calibration_images": self.calibration_images,
            "fp32_max_abs_diff": self.fp32_max_abs_diff, "seconds": self.seconds,
            "warnings": list(self.warnings),
        }


def quantize_int8(
    model: nn.Module,
    out_path: str | Path,
    *,
    calibration: ImageSet,
    validation: ImageSet,
    example_input: Tensor,
    labels: Sequence[str] | None = None,
    preprocessing: Mapping[str, object] | Preprocessing | None = None,
    calibration_images: int = DEFAULT_CALIBRATION_IMAGES,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    temperature: float = 1.0,
) -> Int8Report:
    """Write an INT8 ONNX model to `out_path` and measure it against fp32; ExportError otherwise.

    `temperature` (a calibrated run's) divides the outputs as in every graph export
    (designer.export.calibrated).
    `calibration` are training images (evaluation transforms), `validation` the images the
    before/after is scored on. Nothing is left at `out_path` when this raises.
    """
    if len(calibration) == 0:  # type: ignore[arg-type]
        raise ExportError("INT8 calibration needs training images: choose data with a training "
                          "split first")
    if len(validation) == 0:  # type: ignore[arg-type]
        raise ExportError("INT8 is checked on the validation split, which is empty: choose data "
                          "with validation images first")
    if calibration_images < 1:
        raise ExportError(f"calibration_images must be at least 1, got {calibration_images}")
    report = progress or (lambda _f, _m: None)
    stop = cancel or (lambda: False)
    started = time.perf_counter()
    notes: list[str] = []
    meta = ExportMeta.build(labels, preprocessing, calibrated(model, "onnx", temperature)[1])
    with Staging(Path(out_path)) as staging:
        fp32_path = staging.main.with_name("fp32.onnx")
        fp32 = export_model(model, "onnx", fp32_path, example_input=example_input, labels=labels,
                            preprocessing=preprocessing, cancel=cancel, temperature=temperature,
                            progress=lambda f, m: report(0.35 * f, f"fp32 ONNX: {m}"))
        notes += fp32.warnings
        _check(stop)
        report(0.35, "quantizing with calibration images")
        used = _quantize(fp32_path, staging.main, calibration, calibration_images, stop, notes)
        embed_metadata(staging.main, meta)
        report(0.6, "counting INT8 operators")
        file_ops, runtime_ops = count_file_ops(staging.main), count_runtime_ops(staging.main)
        _refuse_float(runtime_ops)
        report(0.65, "scoring fp32 and INT8 on the validation split")
        classes = tuple(labels or ())
        scores, agreement = _score(fp32_path, staging.main, validation, len(classes), stop,
                                   lambda f: report(0.65 + 0.25 * f, "scoring on validation"))
        report(0.9, "timing fp32 and INT8 at batch 1")
        fp32_ms, int8_ms = _latency(fp32_path, staging.main, example_input[:1], stop)
        fp32_bytes, int8_bytes = fp32_path.stat().st_size, staging.main.stat().st_size
        fp32_path.unlink()
        _check(stop)
        report(0.98, "moving the file into place")
        paths = staging.commit()
    result = Int8Report(
        paths[0], fp32_bytes, int8_bytes, file_ops, runtime_ops,
        classes or tuple(str(i) for i in range(len(scores[0].per_class))),
        scores[0], scores[1], agreement, fp32_ms, int8_ms, used, fp32.max_abs_diff,
        time.perf_counter() - started, tuple(notes))
    if result.accuracy_drop_points > WARN_DROP_POINTS:
        result = _with_warning(result, f"accuracy dropped by {result.accuracy_drop_points:.1f} "
                               "points: calibrate on more training images or keep fp32")
    report(1.0, "verified")
    return result


def _with_warning(result: Int8Report, text: str) -> Int8Report:
    from dataclasses import replace

    return replace(result, warnings=(*result.warnings, text))


def _check(stop: Cancel) -> None:
    if stop():
        raise ExportCancelledError("export cancelled: no file was written")


def _images(dataset: ImageSet, limit: int | None, batch: int) -> Iterator[tuple[Tensor, Tensor]]:
    loader = DataLoader(dataset, batch_size=batch, shuffle=False, num_workers=0)
    seen = 0
    for x, y in loader:
        if limit is not None and seen >= limit:
            return
        if limit is not None:
            x, y = x[: limit - seen], y[: limit - seen]
        seen += x.shape[0]
        yield x, y


def _quantize(fp32: Path, out: Path, calibration: ImageSet, limit: int, stop: Cancel,
              notes: list[str]) -> int:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source = fp32.with_name("fp32-pre.onnx")
    try:
        with captured_warnings(notes):
            quant_pre_process(str(fp32), str(source))
    except Exception as exc:  # noqa: BLE001 - still quantizable without it, less well fused
        notes.append(f"ONNX Runtime's pre-processing failed ({describe(exc, 160)}); "
                     "quantized the exported graph as it is")
        source.unlink(missing_ok=True)
        source = fp32
    total = min(limit, len(calibration))  # type: ignore[arg-type]
    starts = list(range(0, total, _CALIBRATION_BATCH))

    class Reader(CalibrationDataReader):
        """Batches of training images; ranges are merged batch by batch (bounded memory)."""

        def __init__(self) -> None:
            self._todo: list[int] = []

        def __len__(self) -> int:
            return len(starts)

        def set_range(self, start_index: int, end_index: int) -> None:
            self._todo = starts[start_index:end_index]

        def get_next(self) -> dict[str, Any] | None:
            _check(stop)
            if not self._todo:
                return None
            first = self._todo.pop(0)
            rows = [calibration[i][0] for i in range(first, min(first + _CALIBRATION_BATCH, total))]
            return {"input": torch.stack(rows).numpy()}

    try:  # the calibrator prints progress lines: keep stdout clean for `--json`
        with captured_warnings(notes), contextlib.redirect_stdout(io.StringIO()):
            quantize_static(
                str(source), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True,
                calibrate_method=CalibrationMethod.Percentile,
                extra_options={"CalibStridedMinMax": 1})
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"INT8 quantization failed ({describe(exc)}); export fp32 ONNX "
                          "instead. Nothing was written.") from exc
    finally:
        if source != fp32:
            source.unlink(missing_ok=True)
    return total


def _refuse_float(ops: OpCount) -> None:
    if ops.total == 0:
        raise ExportError("the model has no conv/matmul/gemm layer for INT8 to speed up; "
                          "export fp32 ONNX instead. Nothing was written.")
    if ops.share < MIN_INT8_SHARE:
        left = ", ".join(ops.float_nodes[:5]) + (" …" if len(ops.float_nodes) > 5 else "")
        raise ExportError(
            f"only {ops.quantized} of {ops.total} conv/matmul/gemm layers run in INT8 "
            f"({100 * ops.share:.0f} %, at least {100 * MIN_INT8_SHARE:.0f} % needed), so this "
            f"would not be an INT8 model (still float: {left}). Nothing was written; export fp32 "
            "ONNX instead.")


def _session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _score(fp32: Path, int8: Path, validation: ImageSet, n_classes: int, stop: Cancel,
           tick: Callable[[float], None]) -> tuple[tuple[SplitScore, SplitScore], float]:
    sessions = [_session(fp32), _session(int8)]
    names = [s.get_inputs()[0].name for s in sessions]
    preds: list[list[np.ndarray]] = [[], []]
    truth: list[np.ndarray] = []
    total = len(validation)  # type: ignore[arg-type]
    for x, y in _images(validation, None, _EVAL_BATCH):
        _check(stop)
        for i, (session, name) in enumerate(zip(sessions, names, strict=True)):
            preds[i].append(session.run(None, {name: x.numpy()})[0].argmax(axis=1))
        truth.append(y.numpy())
        tick(sum(len(t) for t in truth) / max(1, total))
    labels = np.concatenate(truth)
    before, after = np.concatenate(preds[0]), np.concatenate(preds[1])
    classes = max(n_classes, int(max(labels.max(), before.max(), after.max())) + 1)
    return (_split_score(before, labels, classes), _split_score(after, labels, classes)), \
        float((before == after).mean())


def _split_score(pred: np.ndarray, labels: np.ndarray, classes: int) -> SplitScore:
    per_class: list[float | None] = []
    for c in range(classes):
        mask = labels == c
        per_class.append(float((pred[mask] == c).mean()) if mask.any() else None)
    return SplitScore(float((pred == labels).mean()), tuple(per_class), int(labels.size))


def _latency(fp32: Path, int8: Path, example: Tensor, stop: Cancel) -> tuple[float, float]:
    x = example.detach().to("cpu", torch.float32).contiguous().numpy()
    sessions = {"fp32": _session(fp32), "int8": _session(int8)}
    calls = {key: (lambda s=s: s.run(None, {s.get_inputs()[0].name: x}))
             for key, s in sessions.items()}
    times = measure(calls, warmup=3, repeats=20, cancel=stop)
    _check(stop)
    return times["fp32"].median_ms, times["int8"].median_ms
