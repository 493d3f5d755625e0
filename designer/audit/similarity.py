"""Near-duplicates and outliers from the geometry of the features (cosine similarity).

Exact copies are the health report's job (byte hashes); here "the same picture" survives a
flip, a crop, a re-encode or a resize, because the backbone's features barely move. A pair in
two different splits is leakage: the held-out score is measured partly on training images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from designer.data import OperationCancelledError

Cancel = Callable[[], bool]
#: cosine similarity from which two images count as the same picture: with Lite0 a mirrored,
#: 8 %-cropped Tux Paint photo scored 0.93 against its original, while the most similar two
#: different photos of the set (mandarine / orange) scored 0.85
DUPLICATE_SIMILARITY = 0.90
_BLOCK = 1024


@dataclass(frozen=True)
class NearDuplicate:
    """Two rows whose features are nearly identical."""

    a: int
    b: int
    similarity: float
    leakage: bool  # in different splits


@dataclass(frozen=True)
class Outlier:
    """A row far from every class: ``distance`` = 1 - cosine similarity to the nearest class
    centre; flagged when it is unusually large for this data set."""

    index: int
    distance: float
    nearest_class: int


def near_duplicates(
    unit: np.ndarray, splits: list[str], *, threshold: float = DUPLICATE_SIMILARITY,
    cancel: Cancel | None = None,
) -> list[NearDuplicate]:
    """Every pair with cosine similarity >= ``threshold``, leakage first, then most similar.

    ``unit`` holds unit-length rows; the similarity matrix is computed in blocks of rows, so
    memory stays at ``_BLOCK`` x N whatever the size of the data set.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    pairs: list[NearDuplicate] = []
    for start in range(0, len(unit), _BLOCK):
        if cancel is not None and cancel():
            raise OperationCancelledError("audit cancelled")
        block = unit[start : start + _BLOCK] @ unit.T
        rows, cols = np.nonzero(block >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            a = start + r
            if c > a:
                pairs.append(NearDuplicate(a, c, float(block[r, c]), splits[a] != splits[c]))
    pairs.sort(key=lambda p: (not p.leakage, -p.similarity, p.a, p.b))
    return pairs


def outliers(unit: np.ndarray, labels: np.ndarray, classes: int) -> list[Outlier]:
    """Rows far from every class centre (distance beyond Q3 + 2 IQR of all distances), the
    farthest first."""
    if len(unit) < 4:
        return []
    centres = np.zeros((classes, unit.shape[1]))
    for k in range(classes):
        members = unit[labels == k]
        if len(members):
            mean = members.mean(axis=0)
            centres[k] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    similarity = unit @ centres.T
    nearest = similarity.argmax(axis=1)
    distance = 1.0 - similarity.max(axis=1)
    q1, q3 = np.percentile(distance, [25, 75])
    limit = q3 + 2.0 * (q3 - q1)
    found = [Outlier(int(i), float(distance[i]), int(nearest[i]))
             for i in np.flatnonzero(distance > limit)]
    return sorted(found, key=lambda o: -o.distance)
