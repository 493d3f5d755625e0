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

    def comment_lines(self) -> list[str]:
        """What the user did on the canvas, as the comment above FROZEN."""
        if not self.frozen:
            return ["# Nothing was frozen on the canvas: every layer trains."]
        return [f"# Frozen on the canvas: these layers never train ({self.frozen_count:,} parameters "
                f"frozen, {self.trainable_count:,} trainable)."]


def training_plan(design: Design, rename: Callable[[str], str] = str) -> TrainingPlan:
    """What trains, read from the layers' frozen flags as ``Design.build`` applies them, in the
    script's parameter names (`rename` maps a design name to the script's).

    (Computed here rather than by building, which would switch the stored modules' flags.)
    """
    design_sizes = _parameter_sizes(design)
    names_in_script = {name: rename(name) for name in design_sizes}
    sizes = {names_in_script[n]: size for n, size in design_sizes.items()}
    trainable: dict[str, bool] = {}
    for layer in design.network:
        if layer.op in ("module", "constant"):
            trainable[layer.target] = trainable.get(layer.target, False) or not layer.frozen
    frozen = {names_in_script[n] for n in design_sizes if not _trainable(n, trainable)}
    factors = {rename(name): value for name, value in design.lr_factors().items()}
    names = list(sizes)
    groups: dict[str, float] = {}
    for value in sorted({f for f in factors.values() if f != 1.0}):
        for prefix in compact(names, lambda n, v=value: factors.get(n, 1.0) == v):  # type: ignore[misc]
            groups[prefix] = value
    frozen_count = sum(sizes[n] for n in frozen)
    return TrainingPlan(compact(names, frozen.__contains__), groups, frozen_count,
                        sum(sizes.values()) - frozen_count)


def _parameter_sizes(design: Design) -> dict[str, int]:
    """Parameter name -> number of values, in order of first use (shared tensors once)."""
    sizes: dict[str, int] = {}
    seen: set[int] = set()
    for layer in design.network:
        item = design.store.get(layer.target) if layer.op in ("module", "constant") else None
        pairs = [(f"{layer.target}.{n}", p) for n, p in item.named_parameters()] \
            if isinstance(item, nn.Module) else \
            [(layer.target, item)] if isinstance(item, nn.Parameter) else []
        for name, param in pairs:
            if id(param) not in seen and name not in sizes:
                seen.add(id(param))
                sizes[name] = param.numel()
    return sizes


def _trainable(name: str, flags: dict[str, bool]) -> bool:
    """The flag of the layer target that owns parameter `name` (the longest matching target)."""
    owners = [t for t in flags if name == t or name.startswith(f"{t}.")]
    return flags[max(owners, key=len)] if owners else True


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
