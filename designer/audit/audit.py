"""The data audit in one call: features -> label check, duplicates, outliers, image checks.

A plain function with a progress callback and a cancel check (designer.workers runs it in the
background); the feature pass dominates, every later step works on the cached features and
takes seconds on a CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from designer.audit.features import AuditFeatures
from designer.audit.image_checks import check_images
from designer.audit.labels import check_labels
from designer.audit.report import AuditReport, build_suspects
from designer.audit.similarity import DUPLICATE_SIMILARITY, near_duplicates, outliers

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


def audit_features(
    features: AuditFeatures, *, folds: int = 5, seed: int = 0,
    duplicate_similarity: float = DUPLICATE_SIMILARITY, check_pixels: bool = True,
    progress: Progress | None = None, cancel: Cancel | None = None,
) -> AuditReport:
    """Audit the images behind ``features`` (extracted once, see `extract_features`)."""
    report = progress or (lambda _f, _m: None)
    manifest = features.manifest
    classes, labels, splits, paths = manifest.classes, features.labels, features.splits, features.paths
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    check = check_labels(features.matrix, labels, len(classes), folds=folds, seed=seed,
                         progress=lambda f, m: report(0.6 * f, m), cancel=cancel)
    seconds["labels"] = time.perf_counter() - start
    start = time.perf_counter()
    unit = features.normalized()
    report(0.6, "near-duplicates and outliers")
    pairs = near_duplicates(unit, splits, threshold=duplicate_similarity, cancel=cancel)
    far = outliers(unit, labels, len(classes))
    seconds["similarity"] = time.perf_counter() - start
    start = time.perf_counter()
    pixels = check_images([manifest.root / p for p in paths],
                          progress=lambda f, m: report(0.7 + 0.3 * f, m),
                          cancel=cancel) if check_pixels else []
    seconds["pixels"] = time.perf_counter() - start
    report(1.0, "audit done")
    return AuditReport(
        root=str(manifest.root), classes=list(classes), source=features.source,
        suspects=build_suspects(paths, splits, list(classes), check, pairs, far, pixels),
        class_quality=[(classes[q.label], q.quality, q.issues) for q in check.classes],
        overlaps=[(classes[o.a], classes[o.b], o.examples, o.joint) for o in check.overlaps],
        cv_accuracy=check.accuracy, folds=check.folds, images=len(paths),
        duplicates=sum(not p.leakage for p in pairs), leaks=sum(p.leakage for p in pairs),
        seconds=seconds, predicted=check.probs.argmax(axis=1).tolist(),
        confidence=check.probs.max(axis=1).tolist(),
    )
