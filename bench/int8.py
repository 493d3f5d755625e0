"""INT8 ONNX vs fp32 ONNX on this CPU, side by side in one run (never asserted).

Retrains the bundled EfficientNet-Lite0 briefly on the Tux Paint sample photos (frozen backbone,
new head), exports it with ``netdesigner export RUN --format onnx-int8`` (the same code path),
and prints the before/after table and one line per target:
quantized conv/matmul share (target ≥ 0.90), accuracy drop on validation (target ≤ 1 point),
file size ratio (target ≤ 0.35) and latency ratio INT8 ÷ fp32 at batch 1 (lower is better).

    python bench/int8.py [--size 224] [--epochs 15] [--out /tmp/int8-bench]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from designer.compress import MIN_INT8_SHARE, Int8Report
from designer.project.data_config import SAMPLE_TUXPAINT, DataConfig, prepare_data
from designer.project.export_source import ExportSource
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions


def train_lite0(root: Path, size: int, epochs: int) -> Path:
    """A Lite0 run on the sample photos: pretrained backbone frozen, new head for 5 classes."""
    design = open_model("efficientnet_lite0_bundled", "bundled", input_size=size)
    data = prepare_data(DataConfig(source=SAMPLE_TUXPAINT, image_size=size),
                        design.info.preprocessing)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    options = TrainingOptions(epochs=epochs, batch_size=32, lr=3e-3, num_workers=0, seed=0)
    run = train_design(design, data, options, runs_root=root / "runs", measure_latency=False)
    return run.run_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--run", type=Path, default=None, help="reuse this run instead of training")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="netdesigner-int8-"))
    try:
        run_dir = args.run or train_lite0(root, args.size, args.epochs)
        source = ExportSource.from_run(run_dir)
        target = root / "lite0.int8.onnx"
        target.unlink(missing_ok=True)
        report = source.export_to("onnx-int8", target)
        assert isinstance(report, Int8Report)
        print("\n".join(report.table()))
        ops = report.runtime_ops
        print(f"quantized conv/matmul/gemm  {ops.quantized}/{ops.total} = {ops.share:.2f}"
              f"   target >= {MIN_INT8_SHARE:.2f}   (in the QDQ file: "
              f"{report.file_ops.quantized}/{report.file_ops.total})")
        print(f"accuracy drop (val)         {report.accuracy_drop_points:+.2f} points"
              f"   target <= 1.00   ({report.fp32.images} images)")
        print(f"file size INT8 / fp32       {report.size_ratio:.3f}   target <= 0.35")
        print(f"latency INT8 / fp32 batch 1 {report.int8_ms:.2f} ms / {report.fp32_ms:.2f} ms = "
              f"{report.int8_ms / report.fp32_ms:.2f}   target < 1.00")
        for warning in report.warnings:
            print("warning:", warning[:200])
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
