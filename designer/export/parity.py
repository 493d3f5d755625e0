"""The parity check: the reloaded artefact must compute what the app's model computes.

Two batch sizes are checked (1 and 3) so a batch dimension that was baked in by tracing is caught,
not shipped. Inputs are the caller's example rows, topped up with seeded N(0, 1) rows, so the check
is reproducible and needs no data set.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.utils import _pytree

from designer.export.errors import ExportError, describe

DEFAULT_ATOL = 1e-4
DEFAULT_RTOL = 1e-4
CHECK_BATCH_SIZES = (1, 3)
_SEED = 0

Runner = Callable[[Tensor], list[Tensor]]


@dataclass(frozen=True)
class CheckInput:
    """One input the artefact is checked on, with a description for the report."""

    tensor: Tensor
    description: str


def make_check_inputs(
    example: Tensor,
    batch_sizes: Sequence[int] = CHECK_BATCH_SIZES,
) -> list[CheckInput]:
    """Inputs at each batch size from the example's rows plus seeded noise rows."""
    if example.dim() < 1 or example.shape[0] < 1:
        raise ExportError(
            f"example_input must have a batch dimension with at least one row, got shape "
            f"{tuple(example.shape)}: pass e.g. torch.randn(1, 3, 224, 224)"
        )
    example = example.detach().to("cpu")
    generator = torch.Generator().manual_seed(_SEED)
    inputs = []
    for n in batch_sizes:
        rows = example[:n]
        extra = n - rows.shape[0]
        if extra:
            noise = torch.randn((extra, *example.shape[1:]), generator=generator)
            rows = torch.cat([rows, noise.to(example.dtype)])
        what = f"{rows.shape[0] - extra} example row(s)" + (
            f" + {extra} seeded N(0,1) row(s)" if extra else ""
        )
        inputs.append(CheckInput(rows.contiguous(), f"batch {n}: {what}, shape {tuple(rows.shape)}"))
    return inputs


def flatten_outputs(output: object) -> list[Tensor]:
    """Every tensor in a model's output, in pytree order (the order ONNX outputs use)."""
    leaves = _pytree.tree_leaves(output)
    tensors = [leaf for leaf in leaves if isinstance(leaf, Tensor)]
    if not tensors:
        raise ExportError("the model returned no tensor: only models that return tensors export")
    return [t.detach().to("cpu") for t in tensors]


def eager_runner(model: nn.Module) -> Runner:
    """Run an ``nn.Module`` under ``no_grad`` and flatten what it returns."""

    def run(x: Tensor) -> list[Tensor]:
        with torch.no_grad():
            return flatten_outputs(model(x))

    return run


def max_abs_diff(ref: Sequence[Tensor], got: Sequence[Tensor]) -> float:
    """Largest |got - ref| over all outputs; inf when their number or shapes differ, NaN → inf."""
    if len(ref) != len(got):
        return math.inf
    worst = 0.0
    for r, g in zip(ref, got, strict=True):
        if r.shape != g.shape:
            return math.inf
        if r.numel() == 0:
            continue
        diff = (g.to(torch.float64) - r.to(torch.float64)).abs()
        value = float(diff.max())
        worst = max(worst, math.inf if math.isnan(value) else value)
    return worst


def within_tolerance(
    ref: Sequence[Tensor],
    got: Sequence[Tensor],
    atol: float,
    rtol: float,
) -> bool:
    """``allclose`` on every output (NaN never passes)."""
    if len(ref) != len(got) or any(r.shape != g.shape for r, g in zip(ref, got, strict=True)):
        return False
    return all(
        torch.allclose(g.to(torch.float64), r.to(torch.float64), rtol=rtol, atol=atol)
        for r, g in zip(ref, got, strict=True)
    )


def check(
    reference: Sequence[list[Tensor]],
    runner: Runner,
    inputs: Sequence[CheckInput],
    *,
    atol: float,
    rtol: float,
    what: str,
) -> float:
    """Run ``runner`` on every check input; return the max |diff| or raise ExportError."""
    worst = 0.0
    for ref, item in zip(reference, inputs, strict=True):
        try:
            got = runner(item.tensor)
        except Exception as exc:  # the artefact does not run: that is the check failing
            raise ExportError(
                f"parity check failed: the exported {what} could not run on "
                f"{item.description} ({describe(exc)}). "
                "Try another export format."
            ) from exc
        diff = max_abs_diff(ref, got)
        worst = max(worst, diff)
        if not within_tolerance(ref, got, atol, rtol):
            raise ExportError(
                f"parity check failed: the exported {what} differs from the model by max |diff| "
                f"{diff:.3g} on {item.description} (allowed: {atol:g} + {rtol:g}·|ref|). "
                "Nothing was written; try another export format."
            )
    return worst
