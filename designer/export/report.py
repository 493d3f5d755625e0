"""What an export did, for the GUI's export dialog, the CLI and the run history."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ExportReport:
    """The verified result of one export.

    ``paths`` lists every file written (the main artefact first). ``max_abs_diff`` is the largest
    absolute difference between the reloaded artefact's outputs and the app's model outputs over
    ``check_inputs``; the check passed when every element satisfied
    ``|got - ref| <= atol + rtol * |ref|``.
    """

    format: str
    paths: tuple[Path, ...]
    method: str
    max_abs_diff: float
    atol: float
    rtol: float
    check_inputs: tuple[str, ...]
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: median batch-1 latency (ms) of the file and of the PyTorch model, for formats that time it
    latency_ms: dict[str, float] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """The main artefact (the file a user opens elsewhere)."""
        return self.paths[0]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for run history and ``netdesigner export --json``."""
        return {
            "format": self.format,
            "paths": [str(p) for p in self.paths],
            "method": self.method,
            "max_abs_diff": self.max_abs_diff,
            "atol": self.atol,
            "rtol": self.rtol,
            "check_inputs": list(self.check_inputs),
            "seconds": self.seconds,
            "stage_seconds": dict(self.stage_seconds),
            "warnings": list(self.warnings),
            "latency_ms": dict(self.latency_ms),
        }

    def summary(self) -> str:
        """One line for a status bar or the CLI."""
        timed = ", ".join(f"{name} {ms:.1f} ms" for name, ms in self.latency_ms.items())
        return (
            f"{self.format} → {self.path} via {self.method}: max |diff| {self.max_abs_diff:.2e} "
            f"on {len(self.check_inputs)} check inputs, {self.seconds:.1f} s"
            + (f"; batch-1 latency {timed}" if timed else "")
        )
