"""Write ``train.py`` + ``weights.safetensors`` + ``split.json`` into a folder, checked first.

The files are written into a hidden staging folder, the script's network is imported from there
and compared with the design (same outputs in eval mode, same frozen parameters), and only then
are the files moved into the target folder; a failure leaves nothing behind.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import safetensors.torch
import torch

from designer.data.split import SplitManifest
from designer.data.transforms import AugmentOptions
from designer.export.codegen.script import generate_script
from designer.export.codegen.values import CodegenError
from designer.surgery.design import Design
from designer.training.options import TrainingOptions

SCRIPT_NAME = "train.py"
WEIGHTS_NAME = "weights.safetensors"
SPLIT_NAME = "split.json"
#: The script's network must reproduce the design's outputs this closely (same ops, same order).
PARITY_ATOL = 1e-5

Progress = Callable[[float, str], None]


def write_script_bundle(folder: Path | str, design: Design, options: TrainingOptions,
                        manifest: SplitManifest | None, augment: AugmentOptions | None,
                        image_size: int | None, *, verify: bool = True,
                        progress: Progress | None = None,
                        cancel: Callable[[], bool] | None = None) -> Path:
    """Write the bundle into `folder` (created if needed) and return the path of ``train.py``.

    Files of the same names in `folder` are replaced; other files are left alone.
    """
    report = progress or (lambda _f, _m: None)
    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".netdesigner-script-", dir=target))
    except OSError as error:
        raise CodegenError(f"cannot write to {target} ({error.strerror or error}): "
                           "choose another folder") from error
    try:
        report(0.1, "writing the script")
        (staging / SCRIPT_NAME).write_text(generate_script(
            design, options=options, manifest=manifest, augment=augment, image_size=image_size,
            weights_file=WEIGHTS_NAME), encoding="utf-8")
        _check_cancel(cancel)
        report(0.3, "saving the design's weights")
        safetensors.torch.save_model(design.build(), str(staging / WEIGHTS_NAME))
        if manifest is not None:
            manifest.save(staging / SPLIT_NAME)
        _check_cancel(cancel)
        if verify:
            report(0.6, "checking the script's network against the design")
            check_network(staging / SCRIPT_NAME, design, image_size)
        mode = _file_mode(target)
        for path in staging.iterdir():
            path.chmod(mode)  # temporary files are private; the bundle is ordinary files
            path.replace(target / path.name)
        if manifest is None:
            (target / SPLIT_NAME).unlink(missing_ok=True)  # an old split would not fit
    except OSError as error:
        raise CodegenError(f"writing the script bundle to {target} failed ({error}); "
                           "check the free space and permissions") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report(1.0, "done")
    return target / SCRIPT_NAME


def _file_mode(folder: Path) -> int:
    """The permissions an ordinary new file gets in `folder` (umask applied by the OS)."""
    probe = folder / f".netdesigner-probe-{uuid.uuid4().hex}"
    probe.touch()
    try:
        return probe.stat().st_mode & 0o777
    finally:
        probe.unlink()


def _check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        from designer.export.errors import ExportCancelledError

        raise ExportCancelledError("generating the script was cancelled; nothing was written")


def import_script(path: Path) -> ModuleType:
    """Import a generated script as a module (its ``main()`` does not run)."""
    name = f"netdesigner_script_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CodegenError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def check_network(script: Path, design: Design, image_size: int | None) -> float:
    """Max |difference| between the script's network and the design; CodegenError if too big."""
    module = import_script(script)
    network = module.build_model(script.parent / WEIGHTS_NAME).eval()
    module.apply_freezing(network)
    reference = design.build()
    frozen_script = {n for n, p in network.named_parameters() if not p.requires_grad}
    frozen_design = {n for n, p in reference.named_parameters() if not p.requires_grad}
    if frozen_script != frozen_design:
        wrong = sorted(frozen_script ^ frozen_design)[:3]
        raise CodegenError(f"the script's freezing plan differs from the design's at {wrong}")
    size = image_size or design.info.input_size
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want, got = reference(x), network(x)
    diff = float((want - got).abs().max()) if isinstance(want, torch.Tensor) else float("inf")
    if not diff <= PARITY_ATOL:
        raise CodegenError(f"the script's network differs from the design (max |diff| {diff:.3g}); "
                           "please report this design")
    return diff
