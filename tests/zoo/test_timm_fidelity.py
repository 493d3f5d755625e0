"""Import -> build reproduces one architecture of every timm family the zoo lists.

For each family (timm module) its smallest architecture is built with random weights and
drop-path switched on, traced into a design and built back: eval-mode outputs agree to 1e-5,
state_dicts are equal, and in train mode the built model draws the same random numbers as the
original (same seed -> same output), so drop-path stays stochastic exactly where it was.
Families that cannot be traced are listed as view-only (``timm_zoo.VIEW_ONLY``) and must
still fail here, so the list never goes stale. A few very large families are built with
fewer blocks (``SHRINK``): the same layer code, a CI-sized model.
"""

from __future__ import annotations

from typing import Any

import pytest
import timm
import torch

from designer.surgery.build import build_module
from designer.surgery.trace import network_from_module
from designer.zoo.timm_zoo import VIEW_ONLY, family_representatives

FAMILIES = family_representatives()
#: constructor overrides that keep the largest families small (same blocks, fewer of them)
SHRINK: dict[str, dict[str, Any]] = {
    "beit": {"depth": 2}, "deepseek_vit": {"depth": 2}, "gemma4_vit": {"depth": 2},
    "qwen3_vit": {"depth": 2}, "naflexvit": {"depth": 2}, "vision_transformer_sam": {"depth": 2},
}
SMALL_INPUT = 64


def _create(arch: str, module: str) -> torch.nn.Module:
    kwargs = SHRINK.get(module, {})
    try:
        return timm.create_model(arch, pretrained=False, drop_path_rate=0.1, **kwargs)
    except TypeError:  # an architecture without a drop-path argument
        return timm.create_model(arch, pretrained=False, **kwargs)


def _input_for(model: torch.nn.Module) -> torch.Tensor:
    """64 px where the model accepts it, else the next size up that it does (96, 128 px), else
    its own input size (fixed-size ViTs): small inputs keep this CI test affordable."""
    size = int(model.pretrained_cfg["input_size"][-1])
    for side in sorted({SMALL_INPUT, 96, 128, size}):
        if side > size:
            continue
        x = torch.randn(1, 3, side, side)
        try:
            with torch.no_grad():
                model(x)
        except (RuntimeError, AssertionError, ValueError):
            continue
        return x
    pytest.fail(f"{type(model).__name__} runs neither at {SMALL_INPUT} px nor at {size} px")


def test_every_listed_family_is_covered() -> None:
    assert len(FAMILIES) >= 90
    assert set(VIEW_ONLY) <= set(FAMILIES)


def _round_trip_problem(original: torch.nn.Module, x: torch.Tensor) -> str | None:
    """What differs between ``original`` and its import -> build, or None."""
    try:
        built = build_module(*network_from_module(original)).eval()
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return f"cannot be imported: {error}"
    try:
        with torch.no_grad():
            diff = (original(x) - built(x)).abs().max().item()
    except Exception as error:  # noqa: BLE001 - a graph that does not run is the answer
        return f"the imported graph does not run: {error}"
    if diff > 1e-5:
        return f"eval outputs differ by {diff:g}"
    a, b = original.state_dict(), built.state_dict()
    if a.keys() != b.keys() or not all(torch.equal(a[k], b[k]) for k in a):
        return f"state_dict differs: {sorted(set(a) ^ set(b))[:3]}"
    try:
        return _train_mode_problem(original, built, x)
    except Exception as error:  # noqa: BLE001 - a graph that fails in training is the answer
        return f"train mode fails: {error}"


def _train_mode_problem(original: torch.nn.Module, built: torch.nn.Module,
                        x: torch.Tensor) -> str | None:
    original.train()
    built.train()
    batch = torch.cat([x, x.flip(-1)])  # batch norm in train mode needs two samples
    with torch.no_grad():
        torch.manual_seed(1)
        expected = original(batch)
        stochastic = not torch.equal(expected, original(batch))
        torch.manual_seed(1)
        actual = built(batch)
        if (expected - actual).abs().max().item() > 1e-5:
            return "train mode draws other random numbers than the original"
        if stochastic != (not torch.equal(actual, built(batch))):
            return "train-mode randomness lost"
    return None


@pytest.mark.parametrize("module", sorted(FAMILIES))
def test_family_round_trips(module: str) -> None:
    torch.manual_seed(0)
    original = _create(FAMILIES[module], module).eval()
    problem = _round_trip_problem(original, _input_for(original))
    if module in VIEW_ONLY:  # still broken, or the list is stale
        assert problem is not None, f"{module} round-trips now: drop it from VIEW_ONLY"
    else:
        assert problem is None, problem
