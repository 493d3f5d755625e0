"""Checks for the arguments of `Design`'s public methods.

A wrong name, type or value becomes an `EditError` that names the argument, what was given and
what is accepted, instead of a networkx `KeyError`, a `TypeError` from a comparison deep inside,
or a silently accepted value (NaN, infinity, a string iterated character by character).
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from typing import Any

from designer.core.network import Network
from designer.surgery.edits import EditError


def layer_name(network: Network, value: Any, argument: str) -> str:
    """`value` as the name of an existing layer."""
    if not isinstance(value, str):
        raise EditError(f"{argument} must be a layer name (text), got {value!r}")
    if value not in network:
        close = difflib.get_close_matches(value, network.names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else \
            "; design.network.names lists the layers"
        raise EditError(f"{argument}: there is no layer named {value!r}{hint}")
    return value


def layer_names(network: Network, value: Any, argument: str) -> list[str]:
    """`value` as existing layer names in the given order, without repeats; one string is one
    name (never its characters); an empty choice is refused (it would do nothing)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise EditError(f"{argument} must be a layer name or a list of layer names, got {value!r}")
    names = list(dict.fromkeys(layer_name(network, item, argument) for item in items))
    if not names:
        raise EditError(f"{argument} is empty: name at least one layer")
    return names


def number(value: Any, argument: str) -> float:
    """`value` as a finite real number (not a bool, not text)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise EditError(f"{argument} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise EditError(f"{argument} must be a finite number, got {value!r}")
    return result


def class_count(value: Any) -> int:
    """`value` as a number of classes for a classifier: a whole number, at least 2."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EditError(f"num_classes must be a whole number of at least 2, got {value!r}")
    if int(value) < 2:
        raise EditError(f"num_classes must be at least 2, got {value}: a classifier needs two "
                        "or more classes to choose between (for yes/no, use two classes)")
    return int(value)


def class_names(value: Any) -> tuple[str, ...]:
    """`value` as distinct, non-empty class names (one string is one name)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise EditError(f"class_names must be a list of names, got {value!r}")
    names = tuple(items)
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise EditError(f"class_names must be non-empty text, got {bad[0]!r}")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise EditError(f"class_names must be different from each other: {name!r} appears "
                            "more than once")
        seen.add(name)
    return names


def fraction(value: Any, argument: str) -> float:
    """`value` as a probability p with 0 ≤ p < 1 (a dropout rate)."""
    result = number(value, argument)
    if not 0.0 <= result < 1.0:
        raise EditError(f"{argument} must be at least 0 and below 1, got {value!r}")
    return result


def lr_factor(value: Any) -> float:
    """`value` as a learning-rate factor: a finite number ≥ 0 (0 freezes)."""
    if value is None:
        raise EditError("factor is missing: call set_lr_factor(names, factor), e.g. "
                        "set_lr_factor('fc', 10)")
    result = number(value, "factor")
    if result < 0:
        raise EditError(f"factor must be at least 0 (0 freezes the layers), got {value!r}")
    return result


def flag(value: Any, argument: str) -> bool:
    """`value` as True or False (not a truthy string such as 'false')."""
    if not isinstance(value, bool):
        raise EditError(f"{argument} must be True or False, got {value!r}")
    return value


def text(value: Any, argument: str) -> str:
    """`value` as a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise EditError(f"{argument} must be non-empty text, got {value!r}")
    return value
