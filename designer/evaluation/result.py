"""The result of an evaluation: metrics, the confusion matrix and every sample's prediction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from designer.evaluation.metrics import ClassMetrics


@dataclass(frozen=True)
class Prediction:
    """One sample: where it came from, its class, what the model said and how sure it was."""

    index: int
    path: str | None
    true: int
    predicted: int
    confidence: float
    top_k: tuple[tuple[int, float], ...]

    @property
    def correct(self) -> bool:
        return self.true == self.predicted

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["top_k"] = [list(pair) for pair in self.top_k]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prediction:
        return cls(
            int(data["index"]), data.get("path"), int(data["true"]), int(data["predicted"]),
            float(data["confidence"]), tuple((int(c), float(p)) for c, p in data["top_k"]),
        )


@dataclass(frozen=True)
class ImagePrediction:
    """One image given to ``predict_each``: its top-k (label, probability), or why it failed."""

    source: str
    top: list[tuple[str, float]]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SkippedSample:
    """A sample that could not be loaded and is not in the metrics, with the reason."""

    index: int
    path: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkippedSample:
        path = data.get("path")
        return cls(int(data["index"]), None if path is None else str(path), str(data["reason"]))


@dataclass
class EvaluationResult:
    """Everything the evaluation screen shows; ``confusion[i][j]``: true i predicted as j."""

    classes: list[str]
    accuracy: float
    loss: float
    top_k_accuracy: dict[int, float]
    per_class: list[ClassMetrics]
    confusion: list[list[int]]
    predictions: list[Prediction] = field(default_factory=list)
    #: Samples left out because they could not be loaded (the metrics are over the others).
    skipped: list[SkippedSample] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        return sum(m.f1 for m in self.per_class) / len(self.per_class) if self.per_class else 0.0

    def class_index(self, label: int | str) -> int:
        """Index of a class given by index or name (ValueError naming the known classes)."""
        if isinstance(label, int):
            if not 0 <= label < len(self.classes):
                raise ValueError(f"class index {label} out of range 0..{len(self.classes) - 1}")
            return label
        if label not in self.classes:
            raise ValueError(f"unknown class {label!r}; classes are {', '.join(self.classes)}")
        return self.classes.index(label)

    def misclassified(self) -> list[Prediction]:
        """Wrong predictions, most confident first (the most instructive mistakes on top)."""
        wrong = [p for p in self.predictions if not p.correct]
        return sorted(wrong, key=lambda p: (-p.confidence, p.index))

    def cell(self, true: int | str, predicted: int | str) -> list[Prediction]:
        """The samples behind one confusion-matrix cell, most confident first."""
        t, p = self.class_index(true), self.class_index(predicted)
        hits = [s for s in self.predictions if s.true == t and s.predicted == p]
        return sorted(hits, key=lambda s: (-s.confidence, s.index))

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "accuracy": self.accuracy,
            "loss": self.loss,
            "top_k_accuracy": {str(k): v for k, v in self.top_k_accuracy.items()},
            "macro_f1": self.macro_f1,
            "per_class": [m.to_dict() for m in self.per_class],
            "confusion": [list(row) for row in self.confusion],
            "predictions": [p.to_dict() for p in self.predictions],
            "skipped": [s.to_dict() for s in self.skipped],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationResult:
        return cls(
            classes=[str(c) for c in data["classes"]],
            accuracy=float(data["accuracy"]),
            loss=float(data["loss"]),
            top_k_accuracy={int(k): float(v) for k, v in data["top_k_accuracy"].items()},
            per_class=[ClassMetrics(**m) for m in data["per_class"]],
            confusion=[[int(v) for v in row] for row in data["confusion"]],
            predictions=[Prediction.from_dict(p) for p in data.get("predictions", [])],
            skipped=[SkippedSample.from_dict(s) for s in data.get("skipped", [])],
        )
