"""Metrics of a run over time: one row per iteration, per validation and per epoch."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from designer.training.events import EpochEvent, IterationEvent, ValidationEvent

CSV_COLUMNS = (
    "kind", "epoch", "iteration", "loss", "accuracy", "lr", "images_per_second", "elapsed",
    "train_loss", "train_acc", "val_loss", "val_acc",
)


@dataclass
class History:
    """Plain dicts so it saves as JSON and loads into the GUI plots or a pandas frame."""

    iterations: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)

    def add_iteration(self, event: IterationEvent) -> None:
        self.iterations.append({  # built by hand: asdict() is slow enough to show per iteration
            "epoch": event.epoch, "iteration": event.iteration, "loss": event.loss,
            "accuracy": event.accuracy, "lr": event.lr,
            "images_per_second": event.images_per_second, "elapsed": event.elapsed,
        })

    def add_validation(self, event: ValidationEvent) -> None:
        row = event.to_dict()
        row.pop("event")
        self.validations.append(row)

    def add_epoch(self, event: EpochEvent) -> None:
        row = event.to_dict()
        row.pop("event")
        self.epochs.append(row)

    def up_to(self, iteration: int) -> History:
        """The rows of iterations 1..`iteration` (what a run resumed there continues from)."""
        def keep(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [dict(r) for r in rows if int(r.get("iteration", 0)) <= iteration]

        return History(keep(self.iterations), keep(self.validations), keep(self.epochs))

    def to_dict(self) -> dict[str, Any]:
        return {
            "iterations": list(self.iterations),
            "validations": list(self.validations),
            "epochs": list(self.epochs),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(
            [dict(r) for r in data.get("iterations", [])],
            [dict(r) for r in data.get("validations", [])],
            [dict(r) for r in data.get("epochs", [])],
        )

    def to_csv(self) -> str:
        """Iteration and validation rows in one table (``kind`` tells them apart)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        rows = [{"kind": "iteration", **r} for r in self.iterations]
        rows += [{"kind": "validation", **r} for r in self.validations]
        rows.sort(key=lambda r: (r["iteration"], r["kind"] == "validation"))
        writer.writerows(rows)
        return out.getvalue()
