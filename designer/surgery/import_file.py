"""`open_file`: a model file of the user's own -> an editable design and an import report.

What a file is decides how it is read (the contents, not the extension, where they can tell):

* a ``torch.export`` archive (.pt2): its program is an aten graph, mapped back onto library
  layers (`aten_graph`); it opens without asking when reading it runs no code (`pt2_safety`);
* a Python file plus a class or factory name: this runs the user's code, so it needs consent,
  asked once and remembered for the file's SHA-256 (`designer.core.trust`);
* an ONNX model, converted with onnx2torch and then mapped like a .pt2 (experimental);
* a TorchScript archive: compiled code, not a graph we can edit; the report says what can be
  done, and only with consent is it loaded (``torch.jit.load`` runs code from the file);
* a weights file (state_dict .pt / .safetensors) with `model=`: a weights report against that
  zoo architecture, loading the matching part on request.

Every import that yields a design ends with a numerical check against the source.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from designer.core.errors import UserError
from designer.core.paths import inside
from designer.core.trust import ConsentNeeded, TrustStore, file_sha256
from designer.surgery.aten_graph import MappedGraph, rebuild
from designer.surgery.design import Design, DesignInfo
from designer.surgery.import_report import ImportReport, ImportResult, ParityCheck
from designer.surgery.pt2_safety import code_risks, is_pt2_archive

__all__ = ["ConsentNeeded", "ImportFileError", "file_kind", "open_file"]

_SEED = 20261128


class ImportFileError(UserError, ValueError):
    """The file cannot be imported; the message says why and what to do."""


def file_kind(path: Path) -> str:
    """"pt2", "python", "onnx", "torchscript", "weights" or "unknown", from the contents."""
    if path.suffix == ".py":
        return "python"
    if path.suffix == ".onnx":
        return "onnx"
    if zipfile.is_zipfile(path):
        if is_pt2_archive(path):
            return "pt2"
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any("/code/" in n for n in names) and any(n.endswith("constants.pkl") for n in names):
            return "torchscript"
        return "weights"
    with path.open("rb") as handle:
        head = handle.read(9)
    if head[:1] == b"\x80" or (len(head) == 9 and head[8:9] == b"{"):
        return "weights"
    return "unknown"


def open_file(path: str | Path, *, name: str | None = None, trust: bool | None = None,
              input_size: int | None = None, model: str | None = None,
              load_matching: bool = False, trust_store: TrustStore | None = None) -> ImportResult:
    """Import a model file (see the module doc); the result holds the design and the report.

    name: the class or factory function to call in a Python file. trust: your answer to
    "run the code in this file?" (remembered per SHA-256; None: use the remembered answer, and
    raise `ConsentNeeded` when there is none). input_size: the sample input's height and width
    where the file does not say (default 224). model: the zoo architecture a weights file is
    for; load_matching: load the tensors that fit even when others do not.
    """
    path = _checked_path(path)
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        raise ImportFileError(f"name must be the Python name of a class or function, not {name!r}")
    if trust is not None and not isinstance(trust, bool):
        raise ImportFileError(f"trust must be True, False or None, not {trust!r}")
    if input_size is not None and (not isinstance(input_size, int) or isinstance(input_size, bool)
                                   or not 8 <= input_size <= 4096):
        raise ImportFileError(f"input_size must be a whole number of pixels from 8 to 4096, "
                              f"not {input_size!r}")
    store = trust_store or TrustStore()
    kind = file_kind(path)
    if kind == "pt2":
        return _open_pt2(path, trust, store)
    if kind == "python":
        return _open_python(path, name, trust, store, input_size or 224)
    if kind == "onnx":
        return _open_onnx(path, input_size or 224)
    if kind == "torchscript":
        return _open_torchscript(path, trust, store, model, load_matching)
    if kind == "weights":
        from designer.surgery.weights_import import open_weights

        return open_weights(path, model, load_matching=load_matching, input_size=input_size)
    raise ImportFileError(f"{path.name} is not a model file NetDesigner knows: open a .pt2 "
                          "(torch.export), .py (with a class name), .onnx, TorchScript or "
                          "weights (.pt, .safetensors) file.")


def _checked_path(path: str | Path) -> Path:
    if not isinstance(path, str | Path):
        raise ImportFileError(f"path must be a file path, not {type(path).__name__}")
    path = Path(path).expanduser()
    if not path.is_file():
        raise ImportFileError(f"{path} does not exist or is not a file.")
    return path


# ----- shared ------------------------------------------------------------------------------
def sample_input(shape: tuple[int, ...]) -> torch.Tensor:
    """The seeded random input every parity check uses."""
    generator = torch.Generator().manual_seed(_SEED)
    return torch.randn(shape, generator=generator)


def parity(source: Callable[[torch.Tensor], Any], design: Design, against: str) -> ParityCheck:
    """Max |diff| between the source and the built design on one sample input."""
    x = sample_input(design.info.input_shape)
    with torch.no_grad():
        expected = _first_tensor(source(x))
        actual = _first_tensor(design.build()(x))
    if expected.shape != actual.shape:
        return ParityCheck(against, tuple(x.shape), float("inf"))
    diff = (expected.float() - actual.float()).abs().max().item() if expected.numel() else 0.0
    return ParityCheck(against, tuple(x.shape), float(diff))


def _first_tensor(value: Any) -> torch.Tensor:
    while isinstance(value, tuple | list) and value:
        value = value[0]
    if not isinstance(value, torch.Tensor):
        raise ImportFileError(f"the model returns {type(value).__name__}, not a tensor")
    return value


def _counts(design: Design) -> dict[str, int]:
    return {"layers": sum(1 for ly in design.network if not ly.plumbing
                          and ly.op not in ("input", "output")),
            "parameters": design.analyze().total_params}


def _mapped_report(path: Path, kind: str, came_in: str, design: Design, mapped: MappedGraph,
                   check: ParityCheck, *, experimental: bool = False,
                   notes: tuple[str, ...] = ()) -> ImportReport:
    actions = []
    if mapped.opaque:
        count = len(mapped.opaque)
        actions.append(f"{count} operation{' has' if count == 1 else 's have'} no library layer "
                       "and stay opaque nodes: they run as in the source but their settings "
                       "cannot be edited.")
    if not check.passed:
        actions.append("The imported network does not reproduce the source's outputs: do not "
                       "train it before finding out why (report the file to us).")
    actions.append("Replace the final layers for your classes and set the input preprocessing "
                   "(mean/std) on the Data page: the file does not say how images were scaled.")
    counts = _counts(design)
    return ImportReport(str(path), kind, came_in, True, experimental, layers=counts["layers"],
                        parameters=counts["parameters"],
                        mapped=tuple(sorted(mapped.mapped.items())), opaque=tuple(mapped.opaque),
                        actions=tuple(actions), notes=notes, check=check)


def _checked_design(module: nn.Module, path: Path, input_size: int) -> Design:
    """The design of `module`, or ImportFileError naming the layers that cannot be built."""
    design = Design.from_module(module, _info(path, input_size))
    errors = [i for i in design.analyze().issues if i.severity == "error"]
    if errors:
        listed = "; ".join(f"{i.layer}: {i.message}" for i in errors[:3])
        raise ImportFileError(f"{path.name} came in as a graph NetDesigner cannot run ({listed}).")
    return design


def _info(path: Path, input_size: int) -> DesignInfo:
    return DesignInfo(model_name=path.stem, source="file", weights=str(path),
                      input_size=input_size)


# ----- torch.export ----------------------------------------------------------------------
def _open_pt2(path: Path, trust: bool | None, store: TrustStore) -> ImportResult:
    risks = code_risks(path)
    if risks:
        store.decide(path, trust, question=(
            f"Opening {path.name} would run code stored in it: {'; '.join(risks)}. "
            "Only continue if you made this file or trust where it came from. Run it?"))
    try:
        program = torch.export.load(path)
    except Exception as error:  # torch raises many kinds on a bad archive
        raise ImportFileError(f"{path.name} is not a readable torch.export archive ({error}); "
                              "it may be damaged or saved by a newer torch.") from error
    source = program.module()
    mapped = rebuild(source)  # refuses operators outside aten and the allow-list: before running
    shape = _pt2_input_shape(source)
    if len(shape) != 4 or shape[1] != 3 or shape[2] != shape[3]:
        raise ImportFileError(f"{path.name} takes an input of shape {list(shape)}; NetDesigner "
                              "opens image classifiers taking one N×3×H×H image batch.")
    design = _checked_design(mapped.module, path, shape[2])
    check = parity(source, design, "the archive's own program")
    notes = ("the archive was read without running any code from it",) if not risks else ()
    came_in = (f"torch.export program '{path.stem}' with {len(list(source.graph.nodes))} graph "
               f"nodes, input {'×'.join(map(str, shape))}")
    return ImportResult(_mapped_report(path, "torch.export archive", came_in, design, mapped,
                                       check, notes=notes), design)


def _pt2_input_shape(module: torch.fx.GraphModule) -> tuple[int, ...]:
    for node in module.graph.nodes:
        if node.op == "placeholder":
            value = node.meta.get("val")
            if isinstance(value, torch.Tensor):
                return tuple(int(d) for d in value.shape)
    raise ImportFileError("the exported program has no tensor input")


# ----- Python file -------------------------------------------------------------------------
def _open_python(path: Path, name: str | None, trust: bool | None, store: TrustStore,
                 input_size: int) -> ImportResult:
    if name is None:
        raise ImportFileError(f"Say which class or factory function in {path.name} builds the "
                              "model (e.g. --class MyNet).")
    source = path.read_bytes()  # hash and run the same bytes
    digest = file_sha256(path)
    store.decide(path, trust, digest=digest, question=(
        f"Opening {path.name} runs the Python code in it ({name}) with your permissions: it "
        "could read, change or send any of your files. Only continue if you wrote it or trust "
        "where it came from. Run it?"))
    if file_sha256(path) != digest:
        raise ImportFileError(f"{path.name} changed while it was being opened; open it again.")
    module_name = f"netdesigner_user_{digest[:16]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None:
        raise ImportFileError(f"{path.name} cannot be loaded as a Python module.")
    user_module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = user_module  # dataclasses and pickling look classes up here
    try:
        exec(compile(source, str(path), "exec"), user_module.__dict__)
        factory = getattr(user_module, name, None)
        if factory is None or not callable(factory):
            found = sorted(n for n, v in vars(user_module).items()
                           if inspect.isclass(v) and issubclass(v, nn.Module)
                           and v.__module__ == module_name)
            raise ImportFileError(f"{path.name} has no class or function called {name!r}"
                                  + (f"; its models are: {', '.join(found)}" if found else ""))
        model = factory()
    except UserError:
        sys.modules.pop(module_name, None)
        raise
    except Exception as error:  # the user's code may raise anything
        sys.modules.pop(module_name, None)
        raise ImportFileError(f"running {name}() from {path.name} failed: "
                              f"{type(error).__name__}: {error}") from error
    if not isinstance(model, nn.Module):
        raise ImportFileError(f"{name}() returned a {type(model).__name__}, not a torch.nn.Module")
    model.eval()
    design = _checked_design(model, path, input_size)
    check = parity(model, design, f"{name}() from the file")
    mapped = MappedGraph(module=design.build(copy_weights=False))
    came_in = (f"{type(model).__name__} built by {name}() in {path.name} (SHA-256 "
               f"{digest[:12]}…), traced with torch.fx")
    report = _mapped_report(path, "Python file", came_in, design, mapped, check)
    return ImportResult(report, design)


# ----- ONNX ------------------------------------------------------------------------------
def _open_onnx(path: Path, input_size: int) -> ImportResult:
    import onnx
    from onnx2torch import convert

    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as error:  # protobuf raises DecodeError and others
        raise ImportFileError(f"{path.name} is not a readable ONNX model ({error}).") from error
    for tensor in proto.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":  # paths in a file stay inside its folder
                inside(path.parent, entry.value, what="external data file")
    if any(t.external_data for t in proto.graph.initializer):
        onnx.load_external_data_for_model(proto, str(path.parent))
    shape = _onnx_input_shape(proto, input_size)
    _constants_as_initializers(proto)
    try:
        converted = convert(proto).eval()
    except Exception as error:  # onnx2torch raises on unsupported operators
        raise ImportFileError(f"onnx2torch cannot convert {path.name}: {error}") from error
    x = sample_input(shape)
    try:
        program = torch.export.export(converted, (x,))
    except Exception as error:  # export fails on data-dependent converters
        raise ImportFileError(f"{path.name} converted, but the result cannot be made into a "
                              f"graph ({type(error).__name__}: {error}).") from error
    mapped = rebuild(program.module())
    design = _checked_design(mapped.module, path, shape[2])
    check = parity(_onnxruntime(proto), design, "onnxruntime running the ONNX file")
    came_in = (f"ONNX model (opset {proto.opset_import[0].version if proto.opset_import else '?'}"
               f", {len(proto.graph.node)} nodes, producer "
               f"{proto.producer_name or 'unknown'}), converted by onnx2torch")
    notes = ("ONNX import is experimental: onnx2torch converts common operators only, and "
             "state_dict names are onnx2torch's, not the original model's.",)
    return ImportResult(_mapped_report(path, "ONNX model", came_in, design, mapped, check,
                                       experimental=True, notes=notes), design)


def _constants_as_initializers(proto: Any) -> None:
    """Turn ``Identity(initializer)`` and ``Constant`` nodes into initializers, which is where
    onnx2torch looks for weights (torch's exporter writes shared weights as Identity nodes)."""
    from onnx import numpy_helper

    initializers = {t.name: t for t in proto.graph.initializer}
    kept = []
    for node in proto.graph.node:
        value = None
        if node.op_type == "Identity" and len(node.input) == 1 and node.input[0] in initializers:
            value = numpy_helper.to_array(initializers[node.input[0]])
        elif node.op_type == "Constant" and len(node.attribute) == 1 \
                and node.attribute[0].name == "value":
            value = numpy_helper.to_array(node.attribute[0].t)
        if value is None or len(node.output) != 1:
            kept.append(node)
            continue
        tensor = numpy_helper.from_array(value, node.output[0])
        proto.graph.initializer.append(tensor)
        initializers[tensor.name] = tensor
    del proto.graph.node[:]
    proto.graph.node.extend(kept)


def _onnx_input_shape(proto: Any, input_size: int) -> tuple[int, int, int, int]:
    initializers = {t.name for t in proto.graph.initializer}
    inputs = [i for i in proto.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ImportFileError(f"the ONNX model has {len(inputs)} inputs; NetDesigner opens "
                              "image classifiers with one input")
    dims = [d.dim_value if d.dim_value > 0 else None
            for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1] not in (3, None):
        raise ImportFileError(f"the ONNX model's input has shape {dims}; NetDesigner opens image "
                              "classifiers taking N×3×H×W images")
    height = dims[2] or input_size
    return (1, 3, height, dims[3] or height)


def _onnxruntime(proto: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    import onnxruntime

    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: torch.from_numpy(session.run(None, {name: x.numpy()})[0])


# ----- TorchScript ------------------------------------------------------------------------
def _open_torchscript(path: Path, trust: bool | None, store: TrustStore, model: str | None,
                      load_matching: bool) -> ImportResult:
    with zipfile.ZipFile(path) as archive:
        code_files = [n for n in archive.namelist() if "/code/" in n and n.endswith(".py")]
    came_in = f"TorchScript archive ({len(code_files)} compiled code files)"
    offers = ("Open the architecture it was made from (a zoo model, or your Python class) and "
              "load its weights: extract them with --trust-code --save-weights FILE.safetensors, "
              "then open the model with --weights FILE.safetensors (the weights report shows "
              "what fits).",
              "Evaluate or deploy it as is with torch.jit.load outside the designer: it is "
              "already an exported model.")
    note = ("TorchScript is compiled code, not a graph: NetDesigner cannot show or edit its "
            "layers (torch.jit is deprecated in torch 2.14; prefer torch.export .pt2 files).")
    try:
        store.decide(path, trust, question=(
            f"Loading {path.name} with torch.jit.load runs the compiled code stored in it. "
            "Only continue if you made this file or trust where it came from. Load it?"))
    except ConsentNeeded:
        report = ImportReport(str(path), "TorchScript", came_in, False,
                              actions=("Loading it runs code from the file: pass --trust-code "
                                       "(CLI) or trust=True (API) to read its weights.", *offers),
                              notes=(note,))
        return ImportResult(report)
    loaded = torch.jit.load(str(path), map_location="cpu")
    state = {k: v.detach().clone() for k, v in loaded.state_dict().items()}
    if model is not None:
        from designer.surgery.weights_import import fit_weights

        result = fit_weights(model, state, str(path), load_matching=load_matching)
        result.extras.update({"state_dict": state, "module": loaded})
        return result
    params = sum(int(v.numel()) for v in state.values() if v.is_floating_point())
    report = ImportReport(str(path), "TorchScript", f"{came_in}: {len(state)} tensors, "
                          f"{params:,} parameters", False, parameters=params, actions=offers,
                          notes=(note,))
    return ImportResult(report, extras={"state_dict": state, "module": loaded})
