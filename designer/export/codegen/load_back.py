"""Load the weights a generated ``train.py`` trained (``trained.safetensors``) back into the design.

The script names tensors after its own network, which may nest a layer where the design has it
flat (``fc.1.weight`` for the design's ``fc.weight`` when a Dropout was inserted before ``fc``);
the same name map that wrote ``weights.safetensors`` (``network_code(design).rename``) reads the
trained file back. The file is read with safetensors (no pickle) and must hold exactly the
design's tensors with the design's shapes, and the classes the design was trained for.
"""

from __future__ import annotations

import json
from pathlib import Path

import safetensors
import safetensors.torch
import torch

from designer.export.codegen.network import network_code
from designer.export.codegen.values import CodegenError
from designer.surgery.design import Design


def script_weights(design: Design, path: Path | str) -> dict[str, torch.Tensor]:
    """The tensors of a script's ``trained.safetensors`` under the design's names.

    CodegenError (a message for the user) when the file is not a readable safetensors file or
    was not trained from this design (other tensors, shapes or classes).
    """
    if not isinstance(design, Design):
        raise TypeError(f"design must be a Design, not {type(design).__name__}")
    path = Path(path)
    try:
        with safetensors.safe_open(str(path), "pt") as handle:
            metadata = handle.metadata() or {}
        tensors = safetensors.torch.load_file(str(path))
    except (OSError, safetensors.SafetensorError) as error:
        raise CodegenError(f"{path.name} is not a readable safetensors file ({error})") from error
    _check_classes(design, metadata, path)
    state = design.build().state_dict()
    rename = network_code(design).rename
    design_name = {rename(key): key for key in state}
    if set(tensors) != set(design_name):
        design_name = {key: key for key in state}  # a script that writes the whole network
    missing = sorted(set(design_name) - set(tensors))
    extra = sorted(set(tensors) - set(design_name))
    if missing or extra:
        detail = "; ".join(part for part in (
            f"{len(missing)} of the design's tensors are missing (e.g. {', '.join(missing[:2])})"
            if missing else "", f"{len(extra)} are not the design's (e.g. {', '.join(extra[:2])})"
            if extra else "") if part)
        raise CodegenError(f"{path.name} was not trained from this design: {detail}. Open the "
                           "design the script was generated from, then load its weights.")
    out = {design_name[key]: tensor for key, tensor in tensors.items()}
    wrong = [key for key, tensor in out.items() if tensor.shape != state[key].shape]
    if wrong:
        raise CodegenError(f"{path.name} was not trained from this design: {wrong[0]} has shape "
                           f"{tuple(out[wrong[0]].shape)}, the design's {tuple(state[wrong[0]].shape)}.")
    return out


def load_script_weights(design: Design, path: Path | str) -> None:
    """Load a script's trained weights into `design` as one undoable edit."""
    state = script_weights(design, path)
    design.apply_state_dict(state, f"Load weights trained by train.py ({Path(path).name})")


def _check_classes(design: Design, metadata: dict[str, str], path: Path) -> None:
    try:
        classes = json.loads(metadata.get("classes", "null"))
    except json.JSONDecodeError:
        classes = None
    ours = list(design.info.class_names)
    if isinstance(classes, list) and ours and classes != ours:
        raise CodegenError(f"{path.name} was trained for the classes {classes[:5]}, but this design "
                           f"is for {ours[:5]}.")
