"""The layer library: the kinds of layer a user can insert, with their editable hyper-parameters.

Pure data. `designer.surgery.modules` turns an entry plus values into an `nn.Module`, the
inspector builds its form from the `ParamSpec`s, and validation uses the same bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from designer.core.categories import category_of


@dataclass(frozen=True)
class ParamSpec:
    """One hyper-parameter: its type and the values the app accepts."""

    name: str
    type: str  # "int" | "float" | "bool" | "choice" | "int_or_tuple"
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    infer: bool = False  # filled from the incoming shape when inserted (in_features, ...)
    help: str = ""

    def validate(self, value: Any) -> Any:
        """The value converted to this parameter's type; raises ValueError saying why not."""
        converted = _convert(self, value)
        for number in converted if isinstance(converted, tuple) else (converted,):
            if isinstance(number, bool) or not isinstance(number, int | float):
                continue
            if self.minimum is not None and number < self.minimum:
                raise ValueError(f"{self.name} must be at least {self.minimum:g}, got {number}")
            if self.maximum is not None and number > self.maximum:
                raise ValueError(f"{self.name} must be at most {self.maximum:g}, got {number}")
        return converted


def _to_int(value: Any, _spec: ParamSpec) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    return int(str(value).strip()) if isinstance(value, str) else int(value)


def _to_float(value: Any, _spec: ParamSpec) -> float:
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not math.isfinite(number):  # NaN passes every range check; infinity is never meant
        raise ValueError
    return number


def _to_bool(value: Any, _spec: ParamSpec) -> bool:
    if not isinstance(value, str):
        return bool(value)
    text = value.strip().lower()
    if text in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return text in ("true", "1", "yes", "on")
    raise ValueError


def _to_choice(value: Any, spec: ParamSpec) -> str:
    if str(value) not in spec.choices:
        raise ValueError
    return str(value)


_CONVERTERS: dict[str, Any] = {
    "int": _to_int, "float": _to_float, "bool": _to_bool, "choice": _to_choice,
    "int_or_tuple": lambda v, _s: _int_or_tuple(v),
}


def _convert(spec: ParamSpec, value: Any) -> Any:
    converter = _CONVERTERS.get(spec.type)
    if converter is None:
        return value
    try:
        return converter(value, spec)
    except (TypeError, ValueError):
        pass
    expected = {"int": "a whole number", "float": "a finite number", "bool": "true or false",
                "choice": "one of " + ", ".join(spec.choices),
                "int_or_tuple": "a whole number or a pair like 3,3"}.get(spec.type, spec.type)
    raise ValueError(f"{spec.name} must be {expected}, got {value!r}")


def _int_or_tuple(value: Any) -> int | tuple[int, ...]:
    if isinstance(value, str):
        parts = [p for p in value.replace("(", "").replace(")", "").split(",") if p.strip()]
        numbers = tuple(int(p) for p in parts)
        return numbers[0] if len(numbers) == 1 else numbers
    if isinstance(value, list | tuple):
        return tuple(int(v) for v in value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    return int(value)


@dataclass(frozen=True)
class LayerKind:
    """An insertable kind of layer (one entry of the layer library)."""

    name: str
    params: tuple[ParamSpec, ...]
    description: str
    shape_preserving: bool = False

    @property
    def category(self) -> str:
        """The kind's category (colour and library section)."""
        return category_of(self.name)

    def defaults(self) -> dict[str, Any]:
        """Default values of every hyper-parameter."""
        return {p.name: p.default for p in self.params}

    def spec(self, name: str) -> ParamSpec | None:
        """The spec of one hyper-parameter, or None if the kind has no such parameter."""
        return next((p for p in self.params if p.name == name), None)

    def validate(self, values: dict[str, Any]) -> dict[str, Any]:
        """Complete and check a set of values; raises ValueError naming the bad one."""
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise ValueError(f"{self.name} has no parameter {', '.join(sorted(unknown))}")
        merged = {**self.defaults(), **values}
        return {p.name: p.validate(merged[p.name]) for p in self.params}


def _int(name: str, default: int, minimum: int = 1, infer: bool = False, help: str = "") -> ParamSpec:
    return ParamSpec(name, "int", default, minimum=minimum, infer=infer, help=help)


def _prob(name: str = "p", default: float = 0.5) -> ParamSpec:
    return ParamSpec(name, "float", default, minimum=0.0, maximum=1.0, help="probability")


_KERNEL = ParamSpec("kernel_size", "int_or_tuple", 3, minimum=1)
_STRIDE = ParamSpec("stride", "int_or_tuple", 1, minimum=1)
_PADDING = ParamSpec("padding", "int_or_tuple", 0, minimum=0)
_INPLACE = ParamSpec("inplace", "bool", False)

CATALOG: tuple[LayerKind, ...] = (
    LayerKind("Linear", (_int("in_features", 512, infer=True), _int("out_features", 10),
                         ParamSpec("bias", "bool", True)), "Fully connected layer"),
    LayerKind("Conv2d", (_int("in_channels", 64, infer=True), _int("out_channels", 64),
                         _KERNEL, _STRIDE, ParamSpec("padding", "int_or_tuple", 1, minimum=0),
                         _int("groups", 1), ParamSpec("bias", "bool", True)), "2-D convolution"),
    LayerKind("BatchNorm1d", (_int("num_features", 512, infer=True),
                              ParamSpec("eps", "float", 1e-5, minimum=0.0),
                              ParamSpec("momentum", "float", 0.1, minimum=0.0, maximum=1.0)),
              "Batch normalisation over features", shape_preserving=True),
    LayerKind("BatchNorm2d", (_int("num_features", 64, infer=True),
                              ParamSpec("eps", "float", 1e-5, minimum=0.0),
                              ParamSpec("momentum", "float", 0.1, minimum=0.0, maximum=1.0)),
              "Batch normalisation over channels", shape_preserving=True),
    LayerKind("LayerNorm", (_int("normalized_shape", 512, infer=True),
                            ParamSpec("eps", "float", 1e-5, minimum=0.0)),
              "Layer normalisation over the last dimension", shape_preserving=True),
    LayerKind("Dropout", (_prob(),), "Randomly zeroes activations while training",
              shape_preserving=True),
    LayerKind("Dropout2d", (_prob(),), "Randomly zeroes whole channels while training",
              shape_preserving=True),
    LayerKind("ReLU", (_INPLACE,), "max(0, x)", shape_preserving=True),
    LayerKind("LeakyReLU", (ParamSpec("negative_slope", "float", 0.01), _INPLACE),
              "ReLU with a small slope for x < 0", shape_preserving=True),
    LayerKind("GELU", (ParamSpec("approximate", "choice", "none", choices=("none", "tanh")),),
              "Gaussian error linear unit", shape_preserving=True),
    LayerKind("SiLU", (_INPLACE,), "x * sigmoid(x) (swish)", shape_preserving=True),
    LayerKind("Hardswish", (_INPLACE,), "Cheap swish", shape_preserving=True),
    LayerKind("Sigmoid", (), "1 / (1 + exp(-x))", shape_preserving=True),
    LayerKind("Tanh", (), "Hyperbolic tangent", shape_preserving=True),
    LayerKind("Softmax", (ParamSpec("dim", "int", -1, minimum=None),),
              "Normalise to probabilities", shape_preserving=True),
    LayerKind("Identity", (), "Passes its input through unchanged", shape_preserving=True),
    LayerKind("MaxPool2d", (ParamSpec("kernel_size", "int_or_tuple", 2, minimum=1),
                            ParamSpec("stride", "int_or_tuple", 2, minimum=1), _PADDING),
              "Max pooling"),
    LayerKind("AvgPool2d", (ParamSpec("kernel_size", "int_or_tuple", 2, minimum=1),
                            ParamSpec("stride", "int_or_tuple", 2, minimum=1), _PADDING),
              "Average pooling"),
    LayerKind("AdaptiveAvgPool2d", (ParamSpec("output_size", "int_or_tuple", 1, minimum=1),),
              "Average pooling to a fixed output size"),
    LayerKind("Flatten", (_int("start_dim", 1, minimum=0), ParamSpec("end_dim", "int", -1)),
              "Flattens dimensions into one"),
)

_BY_NAME = {kind.name: kind for kind in CATALOG}


def catalog_kind(name: str) -> LayerKind | None:
    """The catalog entry for a kind name, or None when the kind is not insertable."""
    return _BY_NAME.get(name)


def catalog_by_category() -> dict[str, list[LayerKind]]:
    """Catalog entries grouped by category, for the layer library."""
    grouped: dict[str, list[LayerKind]] = {}
    for kind in CATALOG:
        grouped.setdefault(kind.category, []).append(kind)
    return grouped
