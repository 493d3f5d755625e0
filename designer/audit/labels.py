"""Likely mislabelled images: out-of-sample probabilities from a linear head, then cleanlab.

The probabilities come from k-fold cross-validation of a logistic regression on the cached
features (no backbone pass), so every image is scored by a head that never saw its label.
cleanlab's confident learning turns them into label-quality scores, a per-image issue flag,
per-class label quality and the pairs of classes the data confuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from cleanlab.dataset import find_overlapping_classes, rank_classes_by_label_quality
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from designer.audit.features import AuditError
from designer.data import OperationCancelledError

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class LabelFinding:
    """One image's label check: ``score`` in [0, 1], low = the given label looks wrong."""

    index: int
    given: int
    suggested: int
    score: float
    issue: bool  # cleanlab flags it as a label issue


@dataclass(frozen=True)
class ClassQuality:
    """How clean one class's labels look (cleanlab's label quality score, 1 = clean)."""

    label: int
    quality: float
    issues: int


@dataclass(frozen=True)
class ClassOverlap:
    """Two classes the data mixes up; ``joint`` is the estimated share of all images."""

    a: int
    b: int
    examples: int
    joint: float


@dataclass(frozen=True)
class LabelCheck:
    """Everything the label check found (indices are feature rows)."""

    probs: np.ndarray  # (N, K) out-of-sample predicted probabilities
    findings: list[LabelFinding]  # every image, lowest score first
    classes: list[ClassQuality]  # worst class first
    overlaps: list[ClassOverlap]  # most overlapping pair first, only pairs with examples
    folds: int

    @property
    def accuracy(self) -> float:
        """Cross-validated accuracy of the linear head against the given labels."""
        labels = np.array([f.given for f in sorted(self.findings, key=lambda f: f.index)])
        return float((self.probs.argmax(axis=1) == labels).mean()) if len(labels) else 0.0


def out_of_sample_probs(
    features: np.ndarray, labels: np.ndarray, classes: int, *, folds: int = 5, seed: int = 0,
    progress: Progress | None = None, cancel: Cancel | None = None,
) -> tuple[np.ndarray, int]:
    """(N, classes) probabilities, each row from a head trained on the other folds, and the
    number of folds used (fewer when a class has fewer images than ``folds``)."""
    counts = np.bincount(labels, minlength=classes)
    present = counts[counts > 0]
    if len(present) < 2:
        raise AuditError("the label check needs at least two classes with images.")
    if present.min() < 2:
        lonely = int(np.flatnonzero(counts == 1)[0])
        raise AuditError(f"class #{lonely} has a single image: the label check needs at least "
                         "two images per class. Add images or drop the class.")
    folds = int(min(folds, present.min()))
    z = _compact(features)
    probs = np.zeros((len(labels), classes))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (fit_rows, held_rows) in enumerate(splitter.split(z, labels)):
        if cancel is not None and cancel():
            raise OperationCancelledError("audit cancelled")
        head = LogisticRegression(C=1.0, max_iter=500)
        head.fit(z[fit_rows], labels[fit_rows])
        probs[np.ix_(held_rows, head.classes_)] = head.predict_proba(z[held_rows])
        if progress is not None:
            progress((fold + 1) / folds, f"label check: fold {fold + 1} of {folds}")
    return probs, folds


def _compact(features: np.ndarray) -> np.ndarray:
    """Unit-length rows expressed in the span of the data (an exact rotation when there are
    fewer images than dimensions: an L2-regularised linear head's solution lies in that span,
    so this changes nothing but the time), scaled to unit spread."""
    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    centred = unit - unit.mean(axis=0)
    if centred.shape[0] < centred.shape[1]:
        u, s, _ = np.linalg.svd(centred, full_matrices=False)
        centred = u * s
    spread = float(centred.std())
    return centred / spread if spread > 0 else centred


def check_labels(
    features: np.ndarray, labels: np.ndarray, classes: int, *, folds: int = 5, seed: int = 0,
    progress: Progress | None = None, cancel: Cancel | None = None,
) -> LabelCheck:
    """Score every image's given label and rank the likely mistakes first."""
    probs, used = out_of_sample_probs(features, labels, classes, folds=folds, seed=seed,
                                      progress=progress, cancel=cancel)
    scores = get_label_quality_scores(labels, probs)
    flagged = find_label_issues(labels, probs)
    suggested = probs.argmax(axis=1)
    findings = [LabelFinding(i, int(labels[i]), int(suggested[i]), float(scores[i]),
                             bool(flagged[i])) for i in np.argsort(scores, kind="stable")]
    table = rank_classes_by_label_quality(labels=labels, pred_probs=probs)
    quality = [ClassQuality(int(r["Class Index"]), float(r["Label Quality Score"]),
                            int(r["Label Issues"])) for _, r in table.iterrows()]
    pairs = find_overlapping_classes(labels=labels, pred_probs=probs)
    overlaps = [ClassOverlap(int(r["Class Index A"]), int(r["Class Index B"]),
                             int(r["Num Overlapping Examples"]), float(r["Joint Probability"]))
                for _, r in pairs.iterrows() if int(r["Num Overlapping Examples"]) > 0]
    return LabelCheck(probs, findings, quality, overlaps, used)
