"""The CUDA path, proven end to end on a GPU (never part of the test suite; never asserted there).

On a CUDA machine this runs, and prints one line per check with its figures:

1. the bundled EfficientNet-Lite0 (offline) with a new head on generated shapes, frozen
   backbone: the feature-cache path on the GPU, then evaluation (train_design);
2. torchvision resnet50 (random weights: nothing is downloaded), whole network, at 224 px on
   image files through DataLoader workers with pinned memory, channels_last, for bf16 and fp16
   autocast (fp16 must use a GradScaler, bf16 must not): images/s of fit() and of a bare
   hand-written loop with the same settings, and fit ÷ bare (target ≥ 0.95 throughput);
3. ONNX export of the trained Lite0 with the parity check on the GPU-trained weights.

Without CUDA it prints why nothing ran and exits with status 0 (``--require-cuda``: status 2).

    python bench/gpu_check.py [--images-per-class 64] [--epochs 2] [--batch 64] [--require-cuda]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

from designer.training.callbacks import Callback
from designer.training.events import EpochEvent

DEVICE = "cuda"  # the checks' device (a CPU smoke run of the script's own code may change it)


def no_cuda_reason() -> str | None:
    """Why CUDA cannot be used here, or None when it can."""
    if not torch.cuda.is_available():
        built = torch.version.cuda or "none (a CPU-only build)"
        return (f"no CUDA device is available (torch {torch.__version__}, CUDA build: {built}); "
                "nothing was checked. Run this on a machine with an NVIDIA GPU.")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images-per-class", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--require-cuda", action="store_true",
                        help="exit with status 2 (not 0) when no CUDA device is present")
    args = parser.parse_args(argv)
    reason = no_cuda_reason()
    if reason is not None:
        print(f"gpu_check: {reason}")
        return 2 if args.require_cuda else 0
    print(f"gpu_check: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
          f"CUDA {torch.version.cuda}, bf16 supported: {torch.cuda.is_bf16_supported()}")
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as folder:
        root = Path(folder)
        from designer.data import generated_dataset

        images = generated_dataset(root / "shapes", classes=4, per_class=args.images_per_class,
                                   size=224)
        failures = 0
        for check in (check_lite0, check_resnet50):
            try:
                check(images, root, args)
            except Exception as error:  # noqa: BLE001 - report every check, then the status
                failures += 1
                print(f"  FAILED {check.__name__}: {type(error).__name__}: {error}")
    print("gpu_check: all checks passed" if not failures else f"gpu_check: {failures} failed")
    return 1 if failures else 0


def check_lite0(images: Path, root: Path, args: argparse.Namespace) -> None:
    """Feature cache on the GPU, evaluation, ONNX export of the GPU-trained model."""
    from designer.export.formats import export_model
    from designer.project.data_config import DataConfig, prepare_data
    from designer.project.run_model import run_design
    from designer.project.workflow import train_design
    from designer.surgery.opening import open_model
    from designer.training.options import TrainingOptions

    design = open_model("efficientnet_lite0_bundled", "bundled", input_size=224)
    data = prepare_data(DataConfig(source=str(images), image_size=224, seed=0),
                        design.info.preprocessing)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    options = TrainingOptions(epochs=args.epochs, batch_size=args.batch, lr=3e-3, device=DEVICE)
    start = time.perf_counter()
    run = train_design(design, data, options, runs_root=root / "runs", measure_latency=False)
    seconds = time.perf_counter() - start
    if run.status != "completed" or run.summary is None or run.evaluation is None:
        raise RuntimeError(f"the Lite0 run did not complete: {run.message}")
    summary = run.summary
    print(f"  lite0 frozen backbone: {seconds:.1f} s for {args.epochs} epochs on "
          f"{summary.device} ({summary.precision}), feature cache {summary.feature_cache}, "
          f"evaluation accuracy "
          f"{run.evaluation.result().accuracy:.3f}")
    model = run_design(run.run_dir, "best").build().eval()
    out = root / "lite0.onnx"
    report = export_model(model, "onnx", out, example_input=torch.randn(1, 3, 224, 224),
                          labels=data.classes)
    print(f"  onnx export of the GPU-trained model: {out.stat().st_size / 2**20:.1f} MiB, "
          f"max |diff| vs the model {report.max_abs_diff:.2e} ({report.method})")


def check_resnet50(images: Path, root: Path, args: argparse.Namespace) -> None:
    """Whole-network training with AMP (bf16 and fp16), channels_last, workers, pinned memory."""
    from designer.data import scan, split_scan
    from designer.data.dataset import datasets_from_manifest
    from designer.training.accel import choose
    from designer.training.loop import fit
    from designer.training.options import TrainingOptions
    from designer.zoo.preprocessing import Preprocessing

    manifest = split_scan(scan(images), (0.8, 0.2, 0.0), seed=0)
    sets = datasets_from_manifest(manifest, Preprocessing(), image_size=224)
    for precision in ("bf16", "fp16"):
        if precision == "bf16" and not torch.cuda.is_bf16_supported():
            print("  resnet50 bf16: skipped (this GPU does not support bf16)")
            continue
        options = TrainingOptions(epochs=args.epochs, batch_size=args.batch, device=DEVICE,
                                  mixed_precision=precision, channels_last="on",
                                  feature_cache="off", schedule="none")
        accel = choose(options, _resnet50(len(manifest.classes)))
        if accel.needs_grad_scaler != (precision == "fp16"):
            raise RuntimeError(f"{precision}: GradScaler used={accel.needs_grad_scaler}")
        times: list[float] = []
        model = _resnet50(len(manifest.classes))
        result = fit(model, sets["train"], sets["val"], options,
                     callbacks=[_EpochTimer(times)])
        if result.reason != "completed":
            raise RuntimeError(f"resnet50 {precision}: {result.message}")
        n = len(sets["train"])
        ours = n / min(times[1:] or times)
        bare = _bare_loop(sets["train"], len(manifest.classes), args, precision, accel.num_workers)
        print(f"  resnet50 {precision} (GradScaler {accel.needs_grad_scaler}, channels_last, "
              f"{accel.num_workers} workers, pinned): fit {ours:.0f} img/s, bare loop "
              f"{bare:.0f} img/s, fit / bare throughput = {ours / bare:.3f} (target >= 0.95); "
              f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB; "
              f"best val acc {result.best_val_acc}")


def _resnet50(classes: int) -> torch.nn.Module:
    import torchvision

    torch.manual_seed(0)
    return torchvision.models.resnet50(weights=None, num_classes=classes)


class _EpochTimer(Callback):
    """Collects epoch seconds."""

    def __init__(self, times: list[float]) -> None:
        self.times = times

    def on_epoch(self, event: EpochEvent) -> None:
        self.times.append(event.seconds)


def _bare_loop(dataset: torch.utils.data.Dataset, classes: int, args: argparse.Namespace,
               precision: str, workers: int) -> float:
    """Images/s of a hand-written loop with the same settings (best epoch after the first)."""
    device = torch.device("cuda")
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    model = _resnet50(classes).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, shuffle=True,
                                         num_workers=workers, pin_memory=True, drop_last=True,
                                         persistent_workers=workers > 0)
    best = 0.0
    for _ in range(max(2, args.epochs)):
        torch.cuda.synchronize()
        start, seen = time.perf_counter(), 0
        for x, y in loader:
            x = x.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
            y = y.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=dtype):
                loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss.item()
            seen += len(y)
        torch.cuda.synchronize()
        best = max(best, seen / (time.perf_counter() - start))
    return best


if __name__ == "__main__":
    sys.exit(main())
