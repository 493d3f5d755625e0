"""One feature vector per image of every split, from a frozen backbone or a run's trained model.

Extraction goes through the training engine's feature cache (`build_cache`): the same frozen-
prefix split, the same exactness check, the same batching, and whatever persistence the cache
offers, so an audit never runs the backbone twice for what training has already computed. The
vector is the boundary tensor before the model's trainable head (the penultimate layer), pooled
to one row per image when it is still spatial.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from designer.core.errors import UserError
from designer.data import (
    ImageDataset,
    OperationCancelledError,
    SplitManifest,
    build_transforms,
    default_sample_root,
)
from designer.data.sources import SPLITS
from designer.data.transforms import decode_min_side
from designer.surgery.design import Design
from designer.surgery.edits import final_parametric_layer
from designer.training.accel import choose
from designer.training.events import CacheProgressEvent, Event
from designer.training.feature_cache import CacheCancelled, CacheContext, CacheFallback, build_cache
from designer.training.feature_store import FeatureStore
from designer.training.graph_split import split_frozen_prefix
from designer.training.options import TrainingOptions

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


class AuditError(UserError, ValueError):
    """The audit cannot run on this data or model, with what to do about it."""


@dataclass(frozen=True)
class AuditFeatures:
    """Row ``i`` of ``matrix`` is the image ``manifest.entries[i]`` (every split, in order)."""

    manifest: SplitManifest
    matrix: np.ndarray  # (N, D) float32
    source: str  # "efficientnet_lite0_bundled (pretrained)", "run 2026…-resnet18 (trained)"

    def __post_init__(self) -> None:
        if self.matrix.ndim != 2 or self.matrix.shape[0] != len(self.manifest.entries):
            raise ValueError(f"{self.matrix.shape} features for {len(self.manifest.entries)} images")

    @property
    def labels(self) -> np.ndarray:
        """Given class index per row."""
        return np.array([e.label for e in self.manifest.entries], dtype=np.int64)

    @property
    def splits(self) -> list[str]:
        """Split name per row."""
        return [e.split for e in self.manifest.entries]

    @property
    def paths(self) -> list[str]:
        """Path per row, relative to the data folder."""
        return [e.path for e in self.manifest.entries]

    def normalized(self) -> np.ndarray:
        """Rows scaled to unit length (cosine similarity is then a dot product)."""
        norms = np.linalg.norm(self.matrix, axis=1, keepdims=True)
        return self.matrix / np.maximum(norms, 1e-12)


def feature_model(design: Design) -> Design:
    """``design`` with every layer before its final parametric layer frozen (edited in place:
    pass a copy, e.g. a fresh `open_model` or `run_design`), so the cache's boundary is the
    penultimate layer."""
    design.freeze_backbone()
    design.set_frozen([final_parametric_layer(design.network).name], False, "Train the head")
    return design


def extract_features(
    manifest: SplitManifest, design: Design, source: str, *, image_size: int | None = None,
    batch_size: int = 32, progress: Progress | None = None, cancel: Cancel | None = None,
    store: Path | None = None,
) -> AuditFeatures:
    """Penultimate-layer features of every image of ``manifest`` (all splits), evaluation
    preprocessing (no augmentation). ``design`` must have its backbone frozen (`feature_model`).
    With ``store`` (a folder), the features are kept there by the training engine's persistent
    feature cache and read back, without a backbone pass, by the next audit of the same images.

    Raises OperationCancelledError when ``cancel()`` turns true, AuditError when the model
    cannot be split before its head or an image cannot be read.
    """
    if not manifest.entries:
        raise AuditError("the data has no images to audit; choose a folder with images in it.")
    ordered = replace(manifest, entries=sorted(manifest.entries, key=lambda e: SPLITS.index(e.split)))
    model = design.build()
    model.eval()
    split, why = split_frozen_prefix(model)
    if split is None:
        raise AuditError(f"cannot take features from {design.info.model_name}: {why}.")
    pre = design.info.preprocessing
    transform = build_transforms(pre, None, train=False, image_size=image_size)
    samples = [s for name in SPLITS for s in ordered.samples(name)]
    dataset = ImageDataset(samples, ordered.classes, transform, decode_min_side(pre, image_size))
    options = TrainingOptions(batch_size=batch_size, num_workers=0, feature_cache="memory",
                              device="cpu" if not torch.cuda.is_available() else "auto")
    total = len(samples)

    def emit(event: Event) -> None:
        if progress is not None and isinstance(event, CacheProgressEvent):
            progress(event.done / max(total, 1), f"features: {event.done} of {total} images")

    ctx = CacheContext(options, choose(options, model), emit,
                       cancel if cancel is not None else (lambda: False), None,
                       FeatureStore(store) if store is not None else None)
    try:
        cache = build_cache(model, split, dataset, None, False, ctx)
    except CacheCancelled as exc:
        raise OperationCancelledError("audit cancelled") from exc
    except CacheFallback as exc:
        raise AuditError(f"cannot take features from {design.info.model_name}: {exc}") from exc
    tensors = cache.train.views[0]
    rows = torch.cat([_pooled(t) for t in tensors], dim=1)
    return AuditFeatures(ordered, rows.float().numpy().astype(np.float32), source)


def _pooled(tensor: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C) by averaging; (N, ...) -> (N, D) flattened."""
    if tensor.dim() == 4:
        return tensor.float().mean(dim=(2, 3))
    return tensor.float().reshape(tensor.shape[0], -1)


def default_store() -> Path:
    """The per-user folder where audits outside a project keep their features."""
    return default_sample_root().parent / "features"
