"""designer.data: image folders -> scan -> split manifest -> health report -> torch datasets.

Typical use::

    data = scan(folder)                       # or scan(tuxpaint_source())
    manifest = split_scan(data, (0.7, 0.15, 0.15), seed=0)
    report = health_report(manifest)          # decodes every file once
    manifest = manifest.without(report.bad_files)
    sets = datasets_from_manifest(manifest, preprocessing, AugmentOptions.recommended())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import lazy_exports
from designer.data.errors import (
    DataError,
    DataSourceError,
    ManifestError,
    OperationCancelledError,
    SampleError,
)
from designer.data.scan import BadFile, DataScan, Sample, scan, scan_class_folders, scan_folder
from designer.data.sources import SPLITS, ClassFolders
from designer.data.split import ManifestEntry, SplitManifest, split_scan

if TYPE_CHECKING:
    from designer.data.dataset import ImageDataset, PoolSubset, datasets_from_manifest
    from designer.data.health import DuplicateGroup, HealthReport, LargeImage, health_report
    from designer.data.loading import load_rgb, load_rgb_tensor
    from designer.data.samples import default_sample_root, generated_dataset, tuxpaint_source
    from designer.data.transforms import (
        AugmentOptions,
        augmented_previews,
        build_transforms,
        without_normalize,
    )

# torch, PIL, numpy: imported when first used (the window starts without them)
__getattr__ = lazy_exports(__name__, {
    **dict.fromkeys(('ImageDataset', 'PoolSubset', 'datasets_from_manifest'), 'dataset'),
    **dict.fromkeys(('DuplicateGroup', 'HealthReport', 'LargeImage', 'health_report'), 'health'),
    **dict.fromkeys(('load_rgb', 'load_rgb_tensor'), 'loading'),
    **dict.fromkeys(('default_sample_root', 'generated_dataset', 'tuxpaint_source'), 'samples'),
    **dict.fromkeys(('AugmentOptions', 'augmented_previews', 'build_transforms',
                     'without_normalize'), 'transforms'),
})

__all__ = [
    "SPLITS",
    "AugmentOptions",
    "BadFile",
    "ClassFolders",
    "DataError",
    "DataScan",
    "DataSourceError",
    "DuplicateGroup",
    "HealthReport",
    "ImageDataset",
    "LargeImage",
    "ManifestEntry",
    "ManifestError",
    "OperationCancelledError",
    "PoolSubset",
    "Sample",
    "SampleError",
    "SplitManifest",
    "augmented_previews",
    "build_transforms",
    "datasets_from_manifest",
    "default_sample_root",
    "generated_dataset",
    "health_report",
    "load_rgb",
    "load_rgb_tensor",
    "scan",
    "scan_class_folders",
    "scan_folder",
    "split_scan",
    "tuxpaint_source",
    "without_normalize",
]
