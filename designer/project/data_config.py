"""Which images a project trains on and how they are split and augmented, plus preparing them.

`DataConfig` is what a project saves; `prepare_data` turns it into datasets (scan, split,
health report, transforms). Sample sources are written as "sample:tuxpaint" and
"sample:shapes" so a project stays portable between machines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.core.errors import UserError
from designer.data import ClassFolders, DataScan, SplitManifest, scan, split_scan
from designer.data.transforms import AugmentOptions
from designer.project.dataset_versions import DatasetEdits, DatasetVersions
from designer.zoo.preprocessing import Preprocessing

if TYPE_CHECKING:
    from designer.data import HealthReport, ImageDataset

SAMPLE_TUXPAINT = "sample:tuxpaint"
SAMPLE_SHAPES = "sample:shapes"
#: smaller images leave nothing for the networks' downsampling; larger ones fill any memory
MIN_IMAGE_SIZE, MAX_IMAGE_SIZE = 16, 4096

Progress = Callable[[float, str], None]


class DataConfigError(UserError, ValueError):
    """The data source cannot be used, with what to do about it."""


@dataclass(frozen=True)
class DataConfig:
    """Data source, split and augmentation of a project (JSON round-trip)."""

    source: str = SAMPLE_SHAPES
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0
    cap: int | None = None
    augment: AugmentOptions = field(default_factory=AugmentOptions)
    image_size: int | None = None  # None: the model's own crop size
    #: the dataset version (designer.project.dataset_versions) and its edits; None: as scanned
    dataset_version: int | None = None
    edits: DatasetEdits = field(default_factory=DatasetEdits)

    def __post_init__(self) -> None:
        size = self.image_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                                 or not MIN_IMAGE_SIZE <= size <= MAX_IMAGE_SIZE):
            raise DataConfigError(f"image size must be a whole number of pixels from "
                                  f"{MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE} (got {size!r}); leave "
                                  "it unset to use the model's own size.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the dataset version only once there is one)."""
        out = {"source": self.source, "fractions": list(self.fractions), "seed": self.seed,
               "cap": self.cap, "augment": self.augment.to_dict(), "image_size": self.image_size}
        if self.dataset_version is not None or self.edits:
            out |= {"dataset_version": self.dataset_version, "edits": self.edits.to_dict()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataConfig:
        """Inverse of `to_dict` (missing keys take defaults)."""
        fractions = tuple(float(f) for f in data.get("fractions", (0.7, 0.15, 0.15)))
        return cls(source=str(data.get("source", SAMPLE_SHAPES)),
                   fractions=(fractions[0], fractions[1], fractions[2]),
                   seed=int(data.get("seed", 0)), cap=data.get("cap"),
                   augment=AugmentOptions.from_dict(data.get("augment") or {}),
                   image_size=data.get("image_size"),
                   dataset_version=_version_number(data.get("dataset_version")),
                   edits=DatasetEdits.from_dict(data.get("edits")))


def _version_number(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataConfigError(f"dataset version must be a positive whole number, got {value!r}")
    return value


@dataclass
class PreparedData:
    """A config made concrete: the scan, the split, the health report and the datasets."""

    config: DataConfig
    scan: DataScan
    manifest: SplitManifest
    report: HealthReport | None
    datasets: dict[str, ImageDataset]

    @property
    def classes(self) -> list[str]:
        """Class names in label order."""
        return list(self.manifest.classes)

    @property
    def evaluation_split(self) -> str:
        """The split used to assess a run: test when there is one, else validation."""
        return "test" if len(self.datasets["test"]) else "val"


def resolve_source(source: str) -> Path | ClassFolders:
    """A folder or the sample data a source string names."""
    from designer.data.samples import default_sample_root, generated_dataset, tuxpaint_source

    if source == SAMPLE_TUXPAINT:
        folders = tuxpaint_source()
        if folders is None:
            raise DataConfigError("The Tux Paint sample photos are not installed. Install them "
                                  "with `apt-get install tuxpaint-stamps-default`, or use the "
                                  "generated sample (sample:shapes) or your own folder.")
        return folders
    if source == SAMPLE_SHAPES:
        return generated_dataset(default_sample_root())
    path = Path(source).expanduser()
    if not path.is_dir():
        raise DataConfigError(f"{path} is not a folder. Choose a folder with one sub-folder per "
                              "class (or train/val/test folders).")
    return path


def default_source() -> str:
    """The real photos when installed, else the generated shapes."""
    from designer.data.samples import tuxpaint_source

    return SAMPLE_TUXPAINT if tuxpaint_source() is not None else SAMPLE_SHAPES


def prepare_data(config: DataConfig, preprocessing: Preprocessing, *, check_health: bool = True,
                 manifest: SplitManifest | None = None, progress: Progress | None = None,
                 cancel: Callable[[], bool] | None = None) -> PreparedData:
    """Scan, split (or reuse `manifest`), check and wrap the data for training."""
    from designer.data import datasets_from_manifest, health_report  # torch, PIL, numpy

    report_progress = progress or (lambda _f, _m: None)
    report_progress(0.0, "Scanning images…")
    scanned = scan(resolve_source(config.source), cancel=cancel)
    if len(scanned.classes) < 2:
        raise DataConfigError(f"{scanned.root} has {len(scanned.classes)} class folder(s); "
                              "training needs at least two classes, one sub-folder each.")
    # A saved split is applied to the folder scanned now, never to the root its file names.
    split = manifest.rebased(scanned.root) if manifest is not None else \
        split_scan(scanned, config.fractions, seed=config.seed, cap=config.cap)
    split = config.edits.apply(split)  # relabelled / excluded images (the files stay as they are)
    report = None
    if check_health:
        report_progress(0.2, "Checking every image…")
        report = health_report(split, progress=lambda f, m: report_progress(0.2 + 0.7 * f, m),
                               cancel=cancel)
        split = split.without(report.bad_files)
    datasets = datasets_from_manifest(split, preprocessing,
                                      config.augment if config.augment.enabled else None,
                                      image_size=config.image_size)
    report_progress(1.0, f"{len(split.entries)} images in {len(split.classes)} classes")
    return PreparedData(config, scanned, split, report, datasets)


def record_edits(config: DataConfig, edits: DatasetEdits, manifest: SplitManifest,
                 project_folder: Path, note: str = "") -> DataConfig:
    """Save ``edits`` (applied to the current split ``manifest``) as the project's next dataset
    version and return the config that trains on it. The image files are not touched."""
    version = DatasetVersions(project_folder).save(edits, manifest, config.dataset_version, note)
    return replace(config, dataset_version=version.number, edits=edits)


def undo_edits(config: DataConfig, project_folder: Path) -> DataConfig:
    """The config of the version before the current one (no edits before the first)."""
    if config.dataset_version is None:
        return replace(config, edits=DatasetEdits())
    parent = DatasetVersions(project_folder).load(config.dataset_version).parent
    if parent is None:
        return replace(config, dataset_version=None, edits=DatasetEdits())
    return replace(config, dataset_version=parent,
                   edits=DatasetVersions(project_folder).load(parent).edits)
