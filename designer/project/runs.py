"""A training run as the project remembers it: where it lives and what it achieved.

Everything is read from the run directory the training engine writes (options, history,
summary, weights) plus the files the workflow adds (evaluation, design, run.json), so a
run survives the app being closed or killed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.zoo.cache import read_json

RUN_INFO = "run.json"
EVALUATION = "evaluation.json"
DESIGN = "design.json"


@dataclass
class RunRecord:
    """One run: identity, configuration and results (loaded from its directory)."""

    run_dir: Path
    name: str
    model_name: str = ""
    created: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    design: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)  # params, trainable, latency_ms, classes

    @property
    def finished(self) -> bool:
        """True when the run wrote its summary (it was not killed mid-way)."""
        return bool(self.summary)

    @property
    def best_val_acc(self) -> float | None:
        """Best validation accuracy, if the run validated."""
        value = self.summary.get("best_val_acc")
        return float(value) if value is not None else None

    @property
    def final_val_acc(self) -> float | None:
        """Validation accuracy at the end of the run."""
        value = self.summary.get("final_val_acc")
        return float(value) if value is not None else None

    @classmethod
    def load(cls, run_dir: Path) -> RunRecord:
        """Read a run directory; missing files give empty sections (a run still in progress)."""
        info = read_json(run_dir / RUN_INFO)
        return cls(
            run_dir=run_dir, name=str(info.get("name", run_dir.name)),
            model_name=str(info.get("model_name", "")), created=float(info.get("created", 0.0)),
            options=read_json(run_dir / "options.json"), data=dict(info.get("data", {})),
            design=read_json(run_dir / DESIGN), summary=read_json(run_dir / "summary.json"),
            history=read_json(run_dir / "history.json"), evaluation=read_json(run_dir / EVALUATION),
            stats=dict(info.get("stats", {})),
        )


def list_runs(runs_root: Path) -> list[RunRecord]:
    """Runs under `runs_root`, oldest first (folders without run.json are ignored)."""
    if not runs_root.is_dir():
        return []
    runs = [RunRecord.load(p) for p in sorted(runs_root.iterdir()) if (p / RUN_INFO).is_file()]
    return sorted(runs, key=lambda r: (r.created, r.name))
