"""The freezing plan and learning-rate factors, as short lists of module prefixes.

A design freezes layers one by one; listed per parameter that is hundreds of names. Here they are
merged into the fewest module prefixes that cover exactly the same parameters (``"layer1"``
instead of its 15 tensors), which the script matches with ``name == p or name.startswith(p + ".")``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from torch import nn

from designer.surgery.design import Design


@dataclass(frozen=True)
class TrainingPlan:
    """What trains and how fast: frozen prefixes, and prefix -> learning-rate factor."""

    frozen: list[str]
    lr_factors: dict[str, float]
    frozen_count: int
    trainable_count: int


def training_plan(design: Design) -> TrainingPlan:
    """Read requires_grad from the built design (the ground truth) and its LR factors."""
    model = design.build(copy_weights=False)
    names = [name for name, _ in model.named_parameters()]
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    factors = design.lr_factors()
    groups: dict[str, float] = {}
    for value in sorted({f for f in factors.values() if f != 1.0}):
        for prefix in compact(names, lambda n, v=value: factors.get(n, 1.0) == v):  # type: ignore[misc]
            groups[prefix] = value
    return TrainingPlan(compact(names, frozen.__contains__), groups, _count(model, frozen, True),
                        _count(model, frozen, False))


def _count(model: nn.Module, frozen: set[str], want_frozen: bool) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if (n in frozen) == want_frozen)


def compact(names: Sequence[str], selected: Callable[[str], bool]) -> list[str]:
    """The fewest prefixes (in `names` order) that cover exactly the selected names."""
    chosen = [n for n in names if selected(n)]
    if not chosen:
        return []
    all_selected: dict[str, bool] = {}
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            all_selected[prefix] = all_selected.get(prefix, True) and selected(name)
    out: list[str] = []
    for name in chosen:
        parts = name.split(".")
        prefix = next(".".join(parts[:end]) for end in range(1, len(parts) + 1)
                      if all_selected[".".join(parts[:end])])
        if prefix not in out:
            out.append(prefix)
    return out


def matches(name: str, prefixes: Sequence[str]) -> bool:
    """The script's rule: a parameter is covered by a prefix equal to it or a module above it."""
    return any(name == p or name.startswith(f"{p}.") for p in prefixes)


def factor_of(name: str, factors: Mapping[str, float]) -> float:
    """The script's rule: the longest matching prefix decides (like designer.training.params)."""
    best, length = 1.0, -1
    for prefix, value in factors.items():
        if (name == prefix or name.startswith(f"{prefix}.")) and len(prefix) > length:
            best, length = value, len(prefix)
    return best
