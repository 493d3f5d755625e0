"""A design.json is data: nothing it names is imported, called or pasted into code.

Each test poisons one string of a real saved design and checks that `load_design` refuses the
file with a message naming the layer, and that the marker the payload would create is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from designer.core.layers import Tagged
from designer.core.network import Network
from designer.project.design_io import DesignLoadError, load_design, save_design
from designer.surgery.build import build_module
from designer.surgery.design import Design
from designer.surgery.encoding import NotAllowedError, resolve_function
from designer.surgery.opening import from_module
from designer.surgery.safety import UnsafeLayerError, check_network


def _refused(folder: Path) -> str:
    with pytest.raises(DesignLoadError) as caught:
        load_design(folder)
    return str(caught.value)


def _function_payloads(evil: Any) -> dict[str, tuple[str, list[Any]]]:
    shell = f"touch {evil.shell}"
    code = f"__import__('pathlib').Path({str(evil.shell)!r}).touch()"
    return {
        "os:system": ("os:system", [shell]),
        "posix:system": ("posix:system", [shell]),
        "subprocess:check_call": ("subprocess:check_call", [["touch", str(evil.shell)]]),
        "builtins:eval": ("builtins:eval", [code]),
        "builtins:exec": ("builtins:exec", [code]),
        "builtins:__import__": ("builtins:__import__", ["evil_ops"]),
        "importlib:import_module": ("importlib:import_module", ["evil_ops"]),
        "evil_ops:boom": ("evil_ops:boom", [{"$ref": "x"}]),
        "torch:load": ("torch:load", [str(evil.folder / "x.pt")]),
    }


@pytest.mark.parametrize("payload", ["os:system", "posix:system", "subprocess:check_call",
                                     "builtins:eval", "builtins:exec", "builtins:__import__",
                                     "importlib:import_module", "evil_ops:boom", "torch:load"])
def test_a_function_layer_naming_code_is_refused(payload: str, design_dir: Path, evil: Any,
                                                 kit: Any, tmp_path: Path) -> None:
    target, args = _function_payloads(evil)[payload]

    def poison(data: dict[str, Any]) -> None:
        layer = kit.layer_of(data["network"]["layers"], "function", "_operator:add")
        layer["target"] = target
        layer["args"] = {"$tuple": args}

    message = _refused(kit.craft(design_dir, tmp_path / "bad", poison))
    assert f"layer 'add' calls {target}, which NetDesigner does not run from files" in message
    assert evil.nothing_ran()
    assert "evil_ops" not in sys.modules


def test_a_method_layer_naming_anything_but_a_tensor_method_is_refused(
        design_dir: Path, kit: Any, tmp_path: Path) -> None:
    def poison(data: dict[str, Any]) -> None:
        kit.layer_of(data["network"]["layers"], "method", "view")["target"] = "__reduce_ex__"

    message = _refused(kit.craft(design_dir, tmp_path / "bad", poison))
    assert "layer 'view' calls the method '__reduce_ex__'" in message


@pytest.mark.parametrize("attribute", ["__class__", "__globals__", "register_forward_hook"])
def test_getattr_reads_only_tensor_attributes(attribute: str, design_dir: Path, kit: Any,
                                              tmp_path: Path) -> None:
    name = ""

    def poison(data: dict[str, Any]) -> None:
        nonlocal name
        layer = kit.layer_of(data["network"]["layers"], "function", "builtins:getattr")
        layer["args"]["$tuple"][1] = attribute
        name = layer["name"]

    message = _refused(kit.craft(design_dir, tmp_path / "bad", poison))
    assert f"layer '{name}' reads the attribute '{attribute}'" in message


@pytest.mark.parametrize(("tag", "value"), [("dtype", "load"), ("dtype", "hub"),
                                            ("memory_format", "save"), ("device", "nowhere:0"),
                                            ("pickle", "loads")])
def test_a_constant_tag_must_name_a_real_dtype_format_or_device(
        tag: str, value: str, design_dir: Path, kit: Any, tmp_path: Path) -> None:
    def poison(data: dict[str, Any]) -> None:
        layer = kit.layer_of(data["network"]["layers"], "method", "to")
        layer["args"]["$tuple"][1] = {"$tag": tag, "value": value}

    message = _refused(kit.craft(design_dir, tmp_path / "bad", poison))
    assert "layer 'to'" in message
    assert repr(value) in message if tag != "pickle" else "unknown constant tag 'pickle'" in message


def test_a_crafted_input_name_never_reaches_the_generated_forward(
        design_dir: Path, evil: Any, kit: Any, tmp_path: Path) -> None:
    """fx writes an input's name into `def forward(self, <name>)` unquoted."""
    crafted = f"x=__import__('os').system('touch {evil.shell}')"

    def poison(data: dict[str, Any]) -> None:
        for layer in data["network"]["layers"]:
            if layer["name"] == "x":
                layer["name"] = crafted
        _rename_refs(data, "x", crafted)

    message = _refused(kit.craft(design_dir, tmp_path / "bad", poison))
    assert "layer names must be letters, digits and underscores" in message
    assert evil.nothing_ran()


@pytest.mark.parametrize("field", ["module_target", "keyword", "group"])
def test_strings_that_fx_or_the_script_generator_paste_into_code_are_refused(
        field: str, design_dir: Path, evil: Any, kit: Any, tmp_path: Path) -> None:
    code = f'__import__("os").system("touch {evil.shell}")'

    def poison(data: dict[str, Any]) -> None:
        layers = data["network"]["layers"]
        if field == "module_target":
            kit.layer_of(layers, "module", "fc")["target"] = f'fc") or {code} or ("'
        elif field == "keyword":
            layer = kit.layer_of(layers, "function", "torch:flatten")
            layer["kwargs"] = {"$dict": {f"start_dim=1) or {code} or (x": 1}}
        else:
            kit.layer_of(layers, "module", "fc")["group"] = "head\nimport os; os.system('x')"

    message = _refused(kit.craft(design_dir, tmp_path / "bad", poison))
    assert "layer '" in message
    assert evil.nothing_ran()


def test_an_unknown_layer_kind_is_not_constructed(design_dir: Path, kit: Any,
                                                  tmp_path: Path) -> None:
    def poison(data: dict[str, Any]) -> None:
        kit.layer_of(data["network"]["layers"], "module", "fc")["kind"] = "os.system"

    assert "cannot rebuild os.system at fc: it is not in the layer library" in \
        _refused(kit.craft(design_dir, tmp_path / "bad", poison))


def test_catalog_parameters_are_type_checked(design_dir: Path, kit: Any, tmp_path: Path) -> None:
    def poison(data: dict[str, Any]) -> None:
        layer = kit.layer_of(data["network"]["layers"], "module", "fc")
        layer["params"]["$dict"]["out_features"] = "__import__('os')"

    assert "out_features must be a whole number" in \
        _refused(kit.craft(design_dir, tmp_path / "bad", poison))


@pytest.mark.parametrize("model_name", ["evil_ops", "evil_ops:boom", "evil_ops.boom",
                                        "importlib:import_module"])
def test_the_model_name_only_selects_a_registered_zoo_entry(
        model_name: str, design_dir: Path, evil: Any, kit: Any, tmp_path: Path) -> None:
    def poison(data: dict[str, Any]) -> None:
        data["info"]["model_name"] = model_name
        data["info"]["source"] = "torchvision"

    design = load_design(kit.craft(design_dir, tmp_path / "bad", poison))
    assert design.info.model_name == model_name  # just a label: the layers are catalog kinds
    assert evil.nothing_ran()
    assert "evil_ops" not in sys.modules


def test_deeply_nested_values_are_a_message_not_a_crash(design_dir: Path, kit: Any,
                                                        tmp_path: Path) -> None:
    def poison(data: dict[str, Any]) -> None:
        kit.layer_of(data["network"]["layers"], "method", "view")["args"]["$tuple"].append("DEEP")

    folder = kit.craft(design_dir, tmp_path / "bad", poison)
    text = (folder / "design.json").read_text(encoding="utf-8")
    deep = '{"$tuple": [' * 100_000 + "0" + "]}" * 100_000
    (folder / "design.json").write_text(text.replace('"DEEP"', deep), encoding="utf-8")
    assert "is not a readable NetDesigner design" in _refused(folder)


def test_building_checks_every_layer_too(evil: Any, kit: Any) -> None:
    """A document edited in memory (not only a file) cannot smuggle a call into the graph."""
    design = kit.tiny_design()
    layers = [layer.with_changes(target="os:system", args=(f"touch {evil.shell}",))
              if layer.target == "_operator:add" else layer for layer in design.network]
    with pytest.raises(UnsafeLayerError, match="layer 'add' calls os:system"):
        build_module(Network(layers), design.store)
    assert evil.nothing_ran()
    with pytest.raises(NotAllowedError):
        resolve_function("os:system")


def test_a_users_own_function_builds_in_memory_but_is_refused_from_a_file(
        tmp_path: Path) -> None:
    """Tracing the user's module is running the user's code; reading a file is not."""
    design = from_module(_WithOwnFunction(), input_size=8)
    x = torch.randn(1, 3, 8, 8)
    assert torch.equal(design.build()(x), _WithOwnFunction()(x))
    save_design(design, tmp_path / "own")
    with pytest.raises(DesignLoadError, match=r"calls .*:_double, which NetDesigner does not run"):
        load_design(tmp_path / "own")


def test_the_tiny_design_itself_loads_and_runs(design_dir: Path, kit: Any) -> None:
    """The control: the unpoisoned file opens and computes what the module computes."""
    design: Design = load_design(design_dir)
    x = torch.randn(2, 3, 16, 16)
    expected = kit.tiny_design().build()(x)
    assert torch.allclose(design.build()(x), expected)
    check_network(design.network, from_file=True)
    assert any(isinstance(a, Tagged) for layer in design.network for a in layer.args)


def _double(x: torch.Tensor) -> torch.Tensor:
    return x * 2


torch.fx.wrap("_double")


class _WithOwnFunction(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _double(x) + 1


def _rename_refs(value: Any, old: str, new: str) -> None:
    if isinstance(value, dict):
        if value.get("$ref") == old:
            value["$ref"] = new
        for item in value.values():
            _rename_refs(item, old, new)
    elif isinstance(value, list):
        for item in value:
            _rename_refs(item, old, new)
