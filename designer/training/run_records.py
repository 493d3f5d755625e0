"""Typed, read-only views of what a run folder records (summary, stats, identity).

The run folder's JSON files are data written by us or by an older version; these records read
them tolerantly (a missing or wrongly typed field becomes ``None``/empty, never an exception),
so a damaged file shows as a run with fewer facts instead of breaking the run list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

RunStatus = Literal["completed", "stopped", "failed", "interrupted", "running"]

#: FitResult reasons -> the status recorded in summary.json
_STATUS_OF_REASON: dict[str, RunStatus] = {
    "completed": "completed", "early_stopping": "completed", "stopped": "stopped",
    "diverged": "failed", "nan_loss": "failed", "error": "failed",
}


def status_of(reason: str) -> RunStatus:
    """The run's status for a finish reason ("error"/"nan_loss" and anything unknown: failed)."""
    return _STATUS_OF_REASON.get(reason, "failed")


def number(value: Any) -> float | None:
    """A finite float, or None for anything else (bool, text, NaN, missing)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def integer(value: Any) -> int | None:
    """An int, or None (floats that are whole numbers count)."""
    value = number(value)
    return int(value) if value is not None and value == int(value) else None


def text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def frozen_mapping(value: Any) -> Mapping[str, Any]:
    """A read-only view of a JSON object (anything else: empty)."""
    return MappingProxyType(dict(value)) if isinstance(value, Mapping) else MappingProxyType({})


@dataclass(frozen=True)
class RunSummary:
    """summary.json: how the run ended and what it reached."""

    reason: str
    status: RunStatus
    message: str = ""
    best_val_acc: float | None = None
    best_iteration: int | None = None
    final_val_acc: float | None = None
    iterations: int = 0
    epochs_completed: int = 0
    elapsed_seconds: float | None = None
    weights_kept: str = "last"  # "best", "last" or "none" (a failed run saved no weights)
    device: str = ""
    precision: str = ""
    feature_cache: str = "off"
    processes: int = 1

    @property
    def ok(self) -> bool:
        """True when the run trained to its planned end (completed or stopped early on purpose)."""
        return self.status == "completed"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSummary:
        reason = text(data.get("reason"), "error")
        recorded = data.get("status")
        status = next((s for s in _STATUS_OF_REASON.values() if s == recorded), status_of(reason))
        return cls(
            reason=reason, status=status,
            message=text(data.get("message")),
            best_val_acc=number(data.get("best_val_acc")),
            best_iteration=integer(data.get("best_iteration")),
            final_val_acc=number(data.get("final_val_acc")),
            iterations=integer(data.get("iterations")) or 0,
            epochs_completed=integer(data.get("epochs_completed")) or 0,
            elapsed_seconds=number(data.get("elapsed_seconds")),
            weights_kept=text(data.get("weights_kept"), "last"),
            device=text(data.get("device")), precision=text(data.get("precision")),
            feature_cache=text(data.get("feature_cache"), "off"),
            processes=integer(data.get("processes")) or 1,
        )


@dataclass(frozen=True)
class RunStats:
    """Size and speed of the trained model (measured after training, in run.json)."""

    params: int | None = None
    trainable_params: int | None = None
    latency_ms: float | None = None
    num_classes: int | None = None
    #: timing noise of latency_ms (half the interquartile range); None for older runs
    latency_spread_ms: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunStats:
        return cls(params=integer(data.get("params")),
                   trainable_params=integer(data.get("trainable_params")),
                   latency_ms=number(data.get("latency_ms")),
                   num_classes=integer(data.get("num_classes")),
                   latency_spread_ms=number(data.get("latency_spread_ms")))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RunInfo:
    """run.json: which run this is, what it trained on, and (once finished) its stats."""

    name: str
    model_name: str = ""
    created: float = 0.0
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    classes: tuple[str, ...] = ()
    stats: RunStats | None = None
    #: the user's words about the run (editable, like the name)
    note: str = ""
    #: index into the compare page's palette, handed out in creation order (None: older runs)
    colour: int | None = None

    @property
    def image_size(self) -> int | None:
        """The size the run trained at (None: the model's own)."""
        size = integer(self.data.get("image_size"))
        return size if size else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default_name: str) -> RunInfo:
        stats = data.get("stats")
        classes = data.get("classes")
        return cls(
            name=text(data.get("name"), default_name) or default_name,
            model_name=text(data.get("model_name")),
            created=number(data.get("created")) or 0.0,
            data=frozen_mapping(data.get("data")),
            classes=tuple(str(c) for c in classes) if isinstance(classes, list) else (),
            stats=RunStats.from_dict(stats) if isinstance(stats, Mapping) else None,
            note=text(data.get("note")),
            colour=colour if (colour := integer(data.get("colour"))) is not None and colour >= 0
            else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "model_name": self.model_name,
                               "created": self.created, "data": dict(self.data),
                               "classes": list(self.classes)}
        if self.stats is not None:
            out["stats"] = self.stats.to_dict()
        if self.note:
            out["note"] = self.note
        if self.colour is not None:
            out["colour"] = self.colour
        return out


@dataclass(frozen=True)
class RunCalibration:
    """calibration.json: the temperature fitted on the validation split (scores are divided by
    it before the softmax by predict, the Evaluate page and exports) and what it changed.

    ``bins_before``/``bins_after``: reliability bins as (count, mean confidence, accuracy).
    """

    temperature: float
    split: str = "val"
    images: int = 0
    nll_before: float | None = None
    nll_after: float | None = None
    ece_before: float | None = None
    ece_after: float | None = None
    bins_before: tuple[tuple[int, float, float], ...] = ()
    bins_after: tuple[tuple[int, float, float], ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunCalibration | None:
        """The record, or None when the file holds no usable temperature (missing, not a
        number, not above 0)."""
        temperature = number(data.get("temperature"))
        if temperature is None or temperature <= 0:
            return None
        return cls(temperature=temperature, split=text(data.get("split"), "val"),
                   images=integer(data.get("images")) or 0,
                   nll_before=number(data.get("nll_before")), nll_after=number(data.get("nll_after")),
                   ece_before=number(data.get("ece_before")), ece_after=number(data.get("ece_after")),
                   bins_before=_bins(data.get("bins_before")), bins_after=_bins(data.get("bins_after")))

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["bins_before"] = [list(b) for b in self.bins_before]
        out["bins_after"] = [list(b) for b in self.bins_after]
        return out


def _bins(value: Any) -> tuple[tuple[int, float, float], ...]:
    """Reliability bins from JSON; anything malformed gives no bins."""
    if not isinstance(value, list):
        return ()
    out = []
    for row in value:
        if not isinstance(row, list) or len(row) != 3:
            return ()
        count, confidence, accuracy = integer(row[0]), number(row[1]), number(row[2])
        if count is None or confidence is None or accuracy is None:
            return ()
        out.append((count, confidence, accuracy))
    return tuple(out)
