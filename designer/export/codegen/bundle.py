"""Write ``train.py`` + ``weights.safetensors`` + ``split.json`` into a folder, checked first.

The files are written into a hidden staging folder, the script's network is imported from there
and compared with the design (same outputs in eval mode, same frozen parameters), and only then
are the files moved into the target folder; a failure leaves nothing behind.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import safetensors.torch
import torch

from designer.data.split import SplitManifest
from designer.data.transforms import AugmentOptions
from designer.export import _space
from designer.export._staging import Staging, created_folder
from designer.export.codegen.script import GeneratedScript, generated_script
from designer.export.codegen.values import CodegenError
from designer.export.errors import ExportCancelledError, ExportError, describe
from designer.surgery.design import Design
from designer.training.options import TrainingOptions

SCRIPT_NAME = "train.py"
WEIGHTS_NAME = "weights.safetensors"
SPLIT_NAME = "split.json"
#: The script's network must reproduce the design's outputs this closely (same ops, same order).
PARITY_ATOL = 1e-5

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ScriptReport:
    """What :func:`write_verified_bundle` wrote, and how close the script's network came."""

    paths: tuple[Path, ...]  # train.py first
    max_abs_diff: float | None  # None when not verified

    @property
    def script(self) -> Path:
        return self.paths[0]


def write_script_bundle(folder: Path | str, design: Design, options: TrainingOptions,
                        manifest: SplitManifest | None, augment: AugmentOptions | None,
                        image_size: int | None, *, verify: bool = True, distributed: bool = False,
                        progress: Progress | None = None,
                        cancel: Callable[[], bool] | None = None) -> Path:
    """Write the bundle into `folder` (created if needed) and return the path of ``train.py``.

    See :func:`write_verified_bundle`, which this calls.
    """
    return write_verified_bundle(folder, design, options, manifest, augment, image_size,
                                 verify=verify, distributed=distributed, progress=progress,
                                 cancel=cancel).script


def write_verified_bundle(folder: Path | str, design: Design, options: TrainingOptions,
                          manifest: SplitManifest | None, augment: AugmentOptions | None,
                          image_size: int | None, *, verify: bool = True, distributed: bool = False,
                          progress: Progress | None = None,
                          cancel: Callable[[], bool] | None = None) -> ScriptReport:
    """Write the bundle into `folder` (created if needed), checked, and say what was written.

    distributed: the script also runs under torchrun (DistributedDataParallel); without it the
    script is shorter and trains in one process.

    Files of the same names in `folder` are replaced; other files are left alone. The design
    cannot be written as a script: CodegenError. The folder cannot take the files (read-only,
    full disk, cancelled): ExportError. Either way nothing is left behind, not even a folder
    this call created.
    """
    report = progress or (lambda _f, _m: None)
    target = Path(folder)
    diff: float | None = None
    with created_folder(target), Staging(target / SCRIPT_NAME, (WEIGHTS_NAME, SPLIT_NAME)) as staging:
        model = design.build()
        needed = _space.estimate(model)
        _space.ensure_space(target, needed)
        try:
            report(0.1, "writing the script")
            script = generated_script(design, options=options, manifest=manifest, augment=augment,
                                      image_size=image_size, weights_file=WEIGHTS_NAME,
                                      distributed=distributed)
            staging.main.write_text(script.text, encoding="utf-8")
            _check_cancel(cancel)
            report(0.3, "saving the design's weights")
            save_weights(model, script, staging.side(WEIGHTS_NAME))
            if manifest is not None:
                manifest.save(staging.side(SPLIT_NAME))
            _check_cancel(cancel)
            if verify:
                report(0.6, "checking the script's network against the design")
                diff = check_network(staging.main, design, image_size, script.rename)
        except (CodegenError, ExportError):
            raise
        except Exception as error:
            if _space.is_disk_full(error):
                staging.clear()
                raise _space.not_enough_space(target, needed, _space.free_bytes(target)) from error
            raise ExportError(f"writing the script bundle to {target} failed ({describe(error)}); "
                              "check the folder's permissions") from error
        paths = staging.commit()
        if manifest is None:
            (target / SPLIT_NAME).unlink(missing_ok=True)  # an old split would not fit
    report(1.0, "done")
    return ScriptReport(paths, diff)


def save_weights(model: torch.nn.Module, script: GeneratedScript, path: Path) -> None:
    """The design's weights under the names the script's network gives them."""
    if not script.network.minimal:
        safetensors.torch.save_model(model, str(path))  # same names; handles tied weights
        return
    seen: set[int] = set()
    tensors = {}
    for key, tensor in model.state_dict().items():
        shared = tensor.data_ptr() in seen and tensor.numel() > 0
        seen.add(tensor.data_ptr())
        tensors[script.rename(key)] = tensor.detach().clone() if shared else tensor.detach().contiguous()
    safetensors.torch.save_file(tensors, str(path))


def _check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
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


def check_network(script: Path, design: Design, image_size: int | None,
                  rename: Callable[[str], str] = str) -> float:
    """Max |difference| between the script's network and the design; CodegenError if too big.

    `rename` maps the design's parameter names to the script's.
    """
    module = import_script(script)
    network = module.build_model(script.parent / WEIGHTS_NAME).eval()  # frozen as the script trains it
    reference = design.build()
    frozen_script = {n for n, p in network.named_parameters() if not p.requires_grad}
    frozen_design = {rename(n) for n, p in reference.named_parameters() if not p.requires_grad}
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
