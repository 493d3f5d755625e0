"""The import report: what came in from a model file and what the user still has to do.

Modelled on MATLAB's import report: what was read, which operations became opaque nodes, which
actions the user must take, and a numerical check of the imported network against the source
on one sample input. The CLI prints `ImportReport.text()`, the GUI shows it in a dialog and
`designer.open_file` returns it with the design.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from designer.surgery.design import Design
    from designer.zoo.weights_report import WeightsReport

#: outputs further apart than this (max |diff|, float32) fail the check
TOLERANCE = 1e-4


@dataclass(frozen=True)
class ParityCheck:
    """The imported network against its source on one seeded random input."""

    against: str  # what the source was run with ("the archive's program", "onnxruntime", ...)
    input_shape: tuple[int, ...]
    max_abs_diff: float
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        """Whether the outputs agree within the tolerance."""
        return self.max_abs_diff <= self.tolerance

    def text(self) -> str:
        verdict = "OK" if self.passed else "FAILED"
        shape = "×".join(map(str, self.input_shape))
        return (f"{verdict}: max |diff| {self.max_abs_diff:.2e} vs {self.against} on a random "
                f"{shape} input (tolerance {self.tolerance:.0e})")


@dataclass(frozen=True)
class ImportReport:
    """What `open_file` did with one file."""

    path: str
    kind: str  # "torch.export archive" | "Python file" | "ONNX model" | "TorchScript" | ...
    came_in: str  # one line: what the file holds
    editable: bool
    experimental: bool = False
    layers: int = 0
    parameters: int = 0
    #: operator -> library layer it became, with counts ("conv2d.default -> Conv2d": 2)
    mapped: tuple[tuple[str, int], ...] = ()
    #: layers kept as opaque nodes: "name (operator)"
    opaque: tuple[str, ...] = ()
    #: what the user must do before the model is useful, one sentence each
    actions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    check: ParityCheck | None = None
    #: a weights file against its architecture (matched / missing / unexpected / other shape)
    weights: WeightsReport | None = None

    @property
    def ok(self) -> bool:
        """A design came in and matches its source (or there was nothing to compare)."""
        return self.editable and (self.check is None or self.check.passed)

    def text(self) -> str:
        """The report as plain text (the CLI prints it, the dialog shows it)."""
        title = f"IMPORT REPORT — {self.kind}{' (experimental)' if self.experimental else ''}"
        lines = [title, f"File: {self.path}", f"Came in: {self.came_in}"]
        if self.weights is not None:
            lines += self.weights.text().splitlines()
        if self.editable:
            lines.append(f"Layers: {self.layers}, parameters: {self.parameters:,}")
        if self.mapped:
            lines.append("Mapped to library layers:")
            lines += [f"  {what} ×{count}" for what, count in self.mapped]
        lines.append(f"Opaque nodes: {len(self.opaque)}" + ("" if self.opaque else " (none)"))
        lines += [f"  {name}" for name in self.opaque]
        lines.append("Numerical check: " + (self.check.text() if self.check else
                                            "not run (nothing to compare against)"))
        lines.append("Needs your action:" + ("" if self.actions else " nothing"))
        lines += [f"  - {action}" for action in self.actions]
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass
class ImportResult:
    """The design (None when the file cannot be edited as a graph) and its report."""

    report: ImportReport
    design: Design | None = None
    #: the loaded source module, where one exists (e.g. TorchScript run as is)
    extras: dict[str, object] = field(default_factory=dict)
