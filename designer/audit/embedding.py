"""A 2-D map of the features: UMAP when it works here, PCA otherwise (always available)."""

from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.decomposition import PCA

log = logging.getLogger(__name__)


def embed_2d(features: np.ndarray, *, method: str = "auto", seed: int = 0) -> tuple[np.ndarray, str]:
    """(N, 2) coordinates and the method used ("umap" or "pca")."""
    if method not in ("auto", "umap", "pca"):
        raise ValueError(f"method must be auto, umap or pca, got {method!r}")
    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    if len(unit) < 3:
        return np.zeros((len(unit), 2)), "pca"
    if method != "pca" and len(unit) >= 10:
        try:
            with warnings.catch_warnings():  # "Tensorflow not installed" (we use plain UMAP)
                warnings.simplefilter("ignore", ImportWarning)
                import umap  # slow to import (numba): only when a map is wanted

            reducer = umap.UMAP(n_neighbors=min(15, len(unit) - 1), metric="cosine",
                                random_state=seed, n_jobs=1)
            return np.asarray(reducer.fit_transform(unit), dtype=np.float64), "umap"
        except Exception as error:  # any failure: the PCA map still works
            if method == "umap":
                raise
            log.info("UMAP failed (%s); using PCA for the map", error)
    return PCA(2, random_state=seed).fit_transform(unit), "pca"
