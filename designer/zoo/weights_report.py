"""How a weights file fits an architecture: matched, missing, unexpected, other-shape keys.

A checkpoint saved from the same backbone with another head (10 classes instead of 1000), or
from a model wrapped in another module, does not load as a whole; most of it still fits. The
report says exactly what fits, and `matching_part` is what can be loaded safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

_LIMIT = 8


@dataclass(frozen=True)
class WeightsReport:
    """The keys of a weights file against the keys of a model's state_dict."""

    matched: tuple[str, ...]
    missing: tuple[str, ...]  # in the model, not in the file
    unexpected: tuple[str, ...]  # in the file, not in the model
    #: (key, shape in the file, shape in the model)
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]

    @property
    def fits(self) -> bool:
        """Every model tensor is in the file with its shape, and nothing else is."""
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def loadable(self) -> bool:
        """At least one tensor fits (the matching part is worth loading)."""
        return bool(self.matched)

    def text(self) -> str:
        """Counts, then the keys that do not fit (a few of each)."""
        total = len(self.matched) + len(self.missing) + len(self.mismatched)
        lines = [f"WEIGHTS REPORT — {len(self.matched)} of {total} model tensors match the file"
                 f" ({len(self.missing)} missing, {len(self.unexpected)} unexpected, "
                 f"{len(self.mismatched)} of another shape)"]
        lines += _listing("Missing from the file", self.missing)
        lines += _listing("In the file but not the model", self.unexpected)
        lines += _listing("Another shape", [f"{k}: file {list(a)} vs model {list(b)}"
                                            for k, a, b in self.mismatched])
        if not self.fits and self.loadable:
            lines.append(f"Offer: load the {len(self.matched)} matching tensors and keep the "
                         "model's own values for the rest (e.g. a checkpoint with another head).")
        elif not self.loadable:
            lines.append("Nothing matches: this file was saved from another architecture.")
        return "\n".join(lines)


def _listing(title: str, items: list[str] | tuple[str, ...]) -> list[str]:
    if not items:
        return []
    more = f" … and {len(items) - _LIMIT} more" if len(items) > _LIMIT else ""
    return [f"{title} ({len(items)}): {', '.join(items[:_LIMIT])}{more}"]


def compare_weights(model_state: Mapping[str, torch.Tensor],
                    file_state: Mapping[str, torch.Tensor]) -> WeightsReport:
    """Compare a model's state_dict with a file's (``num_batches_tracked`` may be absent)."""
    matched, missing, mismatched = [], [], []
    for key, own in model_state.items():
        theirs = file_state.get(key)
        if theirs is None:
            if not key.endswith("num_batches_tracked"):
                missing.append(key)
        elif tuple(theirs.shape) != tuple(own.shape):
            mismatched.append((key, tuple(theirs.shape), tuple(own.shape)))
        else:
            matched.append(key)
    unexpected = [key for key in file_state if key not in model_state]
    return WeightsReport(tuple(matched), tuple(missing), tuple(unexpected), tuple(mismatched))


def matching_part(report: WeightsReport,
                  file_state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The tensors of the file that fit the model, by name."""
    return {key: file_state[key] for key in report.matched}
