"""What the Export dialog and `netdesigner script` export: a design and how it was trained.

A run gives its trained design (best weights), training options, split and data settings; the
design open in the window gives the same from the workspace. Both end in the same two calls:
``export(fmt, path)`` (a verified model file) and ``write_script(folder)`` (the standalone
``train.py`` bundle), so the GUI and the command line cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from designer.compress import INT8_SUFFIX, Int8Report, quantize_int8
from designer.data.dataset import datasets_from_manifest
from designer.data.split import ManifestError, SplitManifest
from designer.data.transforms import AugmentOptions
from designer.export import SUFFIXES, ExportError, ExportReport, Format, export_model
from designer.export._staging import created_folder
from designer.export.codegen import ScriptReport, write_verified_bundle
from designer.project.data_config import DataConfig
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.surgery.design import Design
from designer.training.options import TrainingOptions
from designer.zoo.preprocessing import Preprocessing

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
#: What can be exported: a model format, or INT8 ONNX (which needs the data to calibrate and check).
Target = Format | Literal["onnx-int8"]
TARGET_SUFFIXES: dict[str, str] = {**SUFFIXES, "onnx-int8": INT8_SUFFIX}
#: Rows in the example batch: more than one, so exporters do not specialise the batch size.
EXAMPLE_BATCH = 2


@dataclass(frozen=True)
class ExportSource:
    """A design to export with the training context the script needs."""

    design: Design
    title: str  # "run “lr 0.001”" or "the current design", for messages and dialogs
    options: TrainingOptions
    manifest: SplitManifest | None
    augment: AugmentOptions | None
    image_size: int | None
    #: a calibrated run's temperature (1: none), carried into exports
    temperature: float = 1.0

    @classmethod
    def from_run(cls, run_dir: Path | str) -> ExportSource:
        """A run's trained model (best weights) with its options, split and data settings."""
        folder = Path(run_dir)
        if not folder.is_dir():
            raise ExportError(f"{folder} is not a folder: give a run folder (runs/<name>)")
        design = run_design(folder)
        run = RunRecord.load(folder)
        config = DataConfig.from_dict(dict(run.data))
        return cls(design, f"run “{run.name}”", run.options or TrainingOptions(),
                   _run_manifest(run), config.augment if config.augment.enabled else None,
                   run.image_size, run.temperature)

    @classmethod
    def from_design(cls, design: Design, options: TrainingOptions, config: DataConfig,
                    manifest: SplitManifest | None) -> ExportSource:
        """The design as it is in the window, with the workspace's options and data."""
        return cls(design, "the current design", options, manifest,
                   config.augment if config.augment.enabled else None, config.image_size)

    @property
    def input_size(self) -> int:
        """Side of the square images the model takes (the training image size)."""
        return self.image_size or self.design.info.input_size

    @property
    def preprocessing(self) -> Preprocessing:
        """How to prepare an image for this model, at the size it was trained on."""
        return self.design.info.preprocessing.at_size(self.image_size)

    @property
    def labels(self) -> list[str] | None:
        """Class names in output order, when the design knows them."""
        return list(self.design.info.class_names) or None

    def export_path(self, folder: Path, fmt: Target) -> Path:
        """Where `export` writes `fmt` in `folder`."""
        return export_path(folder, self.design.info.model_name, fmt)

    def export(self, fmt: Target, folder: Path | str, *, progress: Progress | None = None,
               cancel: Cancel | None = None) -> ExportReport | Int8Report:
        """Write `fmt` into `folder` as :meth:`export_path`, verified; ExportError otherwise."""
        with created_folder(Path(folder)) as target:  # removed again if nothing lands in it
            return self.export_to(fmt, self.export_path(target, fmt), progress=progress,
                                  cancel=cancel)

    def export_to(self, fmt: Target, path: Path | str, *, progress: Progress | None = None,
                  cancel: Cancel | None = None) -> ExportReport | Int8Report:
        """Write `fmt` to the file `path` (its folder must exist), verified, with the labels and
        the preprocessing at the size the model was trained at."""
        x = torch.randn(EXAMPLE_BATCH, 3, self.input_size, self.input_size,
                        generator=torch.Generator().manual_seed(0))
        if fmt == "onnx-int8":
            return self._export_int8(Path(path), x, progress, cancel)
        return export_model(self.design.build(), fmt, path, example_input=x, labels=self.labels,
                            preprocessing=self.preprocessing, progress=progress, cancel=cancel,
                            temperature=self.temperature)

    def _export_int8(self, path: Path, x: torch.Tensor, progress: Progress | None,
                     cancel: Cancel | None) -> Int8Report:
        """INT8 ONNX calibrated on the training split and scored on the validation split."""
        if self.manifest is None:
            raise ExportError(f"INT8 export of {self.title} needs its data (training images to "
                              "calibrate on, validation images to check accuracy): choose data "
                              "first")
        sets = datasets_from_manifest(self.manifest, self.design.info.preprocessing, None,
                                      image_size=self.image_size)
        return quantize_int8(self.design.build(), path, calibration=sets["train"],
                             validation=sets["val"], example_input=x, labels=self.labels,
                             preprocessing=self.preprocessing, progress=progress, cancel=cancel,
                             temperature=self.temperature)

    def write_script(self, folder: Path | str, *, distributed: bool = False,
                     progress: Progress | None = None, cancel: Cancel | None = None) -> ScriptReport:
        """Write ``train.py`` + weights + split into `folder`, checked against the design
        (distributed: the script also runs under torchrun)."""
        outputs, classes = self.design.num_classes, self.manifest and len(self.manifest.classes)
        if classes and outputs != classes:
            raise ExportError(f"{self.title} has {outputs} outputs but the data has {classes} "
                              "classes, so its script could not train: replace the final layers "
                              "for these classes first (right-click the last layer)")
        return write_verified_bundle(folder, self.design, self.options, self.manifest,
                                     self.augment, self.image_size, distributed=distributed,
                                     progress=progress, cancel=cancel)


def file_stem(model_name: str) -> str:
    """The exports' file name: the model's name, safe on every file system."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
    return name.strip("._") or "model"


def export_path(folder: Path | str, model_name: str, fmt: Target) -> Path:
    """Where a model called `model_name` is exported as `fmt` in `folder`."""
    return Path(folder) / f"{file_stem(model_name)}{TARGET_SUFFIXES[fmt]}"


def _run_manifest(run: RunRecord) -> SplitManifest | None:
    data = run.files.read_manifest()
    if data is None:
        return None
    try:
        return SplitManifest.from_dict(data)
    except ManifestError as error:
        raise ExportError(f"the split of {run.name} cannot be read ({error}); the script "
                          "needs it to train on the same images") from error
