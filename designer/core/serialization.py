"""Versioned JSON for the document (structure only; tensors go to safetensors beside it)."""

from __future__ import annotations

from typing import Any

from designer.core.errors import UserError
from designer.core.layers import Layer, Ref, Tagged
from designer.core.network import Network

FORMAT_VERSION = 1


class FormatError(UserError, ValueError):
    """A document file that this version cannot read, with the reason."""


def encode_value(value: Any) -> Any:
    """Python argument -> JSON value (refs, tuples, slices and tagged constants are tagged)."""
    if isinstance(value, Ref):
        return {"$ref": value.name}
    if isinstance(value, Tagged):
        return {"$tag": value.tag, "value": encode_value(value.value)}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, slice):
        return {"$slice": [encode_value(v) for v in (value.start, value.stop, value.step)]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": {k: encode_value(v) for k, v in value.items()}}
    return value


def decode_value(value: Any) -> Any:
    """Inverse of `encode_value`."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$ref" in value:
        return Ref(str(value["$ref"]))
    if "$tag" in value:
        return Tagged(str(value["$tag"]), decode_value(value.get("value")))
    if "$tuple" in value:
        return tuple(decode_value(v) for v in value["$tuple"])
    if "$slice" in value:
        return slice(*(decode_value(v) for v in value["$slice"]))
    if "$dict" in value:
        return {k: decode_value(v) for k, v in value["$dict"].items()}
    raise FormatError(f"unknown value {value!r}")


_FIELDS = ("name", "op", "target", "kind", "category", "group", "frozen", "lr_factor",
           "plumbing", "num_params")


def network_to_dict(network: Network) -> dict[str, Any]:
    """JSON-ready dict of the document."""
    layers = []
    for layer in network:
        item: dict[str, Any] = {f: getattr(layer, f) for f in _FIELDS}
        item["args"] = encode_value(layer.args)
        item["kwargs"] = encode_value(layer.kwargs)
        item["params"] = encode_value(layer.params)
        layers.append(item)
    return {"format": "netdesigner.network", "version": FORMAT_VERSION, "layers": layers}


def network_from_dict(data: dict[str, Any]) -> Network:
    """Document from `network_to_dict` output; refuses newer versions clearly."""
    if data.get("format") != "netdesigner.network":
        raise FormatError("not a NetDesigner network description")
    version = int(data.get("version", 0))
    if version > FORMAT_VERSION:
        raise FormatError(f"this network was saved by a newer NetDesigner (format {version}); "
                          f"this version reads format {FORMAT_VERSION}: please upgrade")
    layers = []
    for item in data["layers"]:
        fields = {f: item[f] for f in _FIELDS if f in item}
        layers.append(Layer(**fields, args=decode_value(item.get("args", {"$tuple": []})),
                            kwargs=decode_value(item.get("kwargs", {"$dict": {}})),
                            params=decode_value(item.get("params", {"$dict": {}}))))
    return Network(layers)
