"""The audit's result as plain data: a ranked list of suspect images and per-class facts.

A suspect is one image with every reason found against it; ``severity`` (0-1) orders the
list: a label that looks wrong counts 1 - its label quality, leakage its similarity, a
near-duplicate inside one split half of it, an outlier or a dark/blurry/tiny image 0.5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from designer.audit.image_checks import ImageFinding
from designer.audit.labels import LabelCheck
from designer.audit.similarity import NearDuplicate, Outlier


@dataclass(frozen=True)
class Reason:
    """Why an image is suspect: ``kind`` is label, leakage, duplicate, outlier, dark, blurry,
    tiny or unreadable; ``other`` is the matching image of a (near-)duplicate pair."""

    kind: str
    text: str
    severity: float
    other: str | None = None


@dataclass
class Suspect:
    """One image to look at."""

    path: str  # relative to the data folder
    split: str
    given: str
    suggested: str | None
    label_score: float | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def severity(self) -> float:
        """The strongest reason's severity."""
        return max((r.severity for r in self.reasons), default=0.0)

    @property
    def kinds(self) -> list[str]:
        """Reason kinds, strongest first."""
        return [r.kind for r in sorted(self.reasons, key=lambda r: -r.severity)]


@dataclass
class AuditReport:
    """Suspects (most suspect first), class facts and how the audit was made."""

    root: str
    classes: list[str]
    source: str
    suspects: list[Suspect]
    class_quality: list[tuple[str, float, int]]  # (class, quality 0-1, label issues)
    overlaps: list[tuple[str, str, int, float]]  # (class a, class b, examples, joint share)
    cv_accuracy: float
    folds: int
    images: int
    duplicates: int
    leaks: int
    seconds: dict[str, float] = field(default_factory=dict)
    #: per feature row: the out-of-sample predicted class and its probability
    predicted: list[int] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)

    def top(self, n: int) -> list[Suspect]:
        """The ``n`` most suspect images."""
        return self.suspects[:n]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's --json)."""
        return {
            "root": self.root, "classes": self.classes, "source": self.source,
            "images": self.images, "cv_accuracy": self.cv_accuracy, "folds": self.folds,
            "near_duplicates": self.duplicates, "leakage_pairs": self.leaks,
            "class_quality": [{"class": c, "quality": q, "issues": n}
                              for c, q, n in self.class_quality],
            "overlapping_classes": [{"a": a, "b": b, "examples": n, "joint": j}
                                    for a, b, n, j in self.overlaps],
            "suspects": [{"path": s.path, "split": s.split, "given": s.given,
                          "suggested": s.suggested, "label_score": s.label_score,
                          "severity": s.severity,
                          "reasons": [{"kind": r.kind, "text": r.text, "other": r.other}
                                      for r in s.reasons]} for s in self.suspects],
            "seconds": self.seconds,
        }

    def to_json(self) -> str:
        """Indented JSON text."""
        return json.dumps(self.to_dict(), indent=1)


def build_suspects(
    paths: list[str], splits: list[str], classes: list[str], labels: LabelCheck,
    duplicates: list[NearDuplicate], far: list[Outlier], images: list[ImageFinding],
) -> list[Suspect]:
    """Merge every finding per image and rank the images, most suspect first."""
    by_index: dict[int, Suspect] = {}
    score = {f.index: f for f in labels.findings}

    def suspect(i: int) -> Suspect:
        if i not in by_index:
            f = score[i]
            by_index[i] = Suspect(paths[i], splits[i], classes[f.given], classes[f.suggested],
                                  f.score, [])
        return by_index[i]

    for f in labels.findings:
        if f.issue or f.suggested != f.given:
            suspect(f.index).reasons.append(Reason(
                "label", f"labelled {classes[f.given]}, looks like {classes[f.suggested]} "
                f"(label quality {f.score:.2f})", 1.0 - f.score))
    for d in duplicates:
        kind = "leakage" if d.leakage else "duplicate"
        weight = d.similarity if d.leakage else d.similarity / 2
        for me, other in ((d.a, d.b), (d.b, d.a)):
            where = f"in {splits[other]}" if d.leakage else "in the same split"
            suspect(me).reasons.append(Reason(
                kind, f"nearly the same picture as {paths[other]} {where} "
                f"(similarity {d.similarity:.3f})", weight, paths[other]))
    for o in far:
        suspect(o.index).reasons.append(Reason(
            "outlier", f"far from every class (distance {o.distance:.2f}; nearest "
            f"{classes[o.nearest_class]})", 0.5))
    for finding in images:
        suspect(finding.index).reasons.append(Reason(finding.kind, finding.detail, 0.5))
    return sorted(by_index.values(), key=lambda s: (-s.severity, s.path))
