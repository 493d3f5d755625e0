"""Section 1 of ``train.py``: the network, as a person would write it.

Preferred: the builder call and one assignment per edit (:mod:`.edits`), e.g.::

    model = torchvision.models.resnet18(weights=None)
    # replaced fc ...; inserted Dropout before fc
    model.fc = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(in_features=512, out_features=5))

When no such form reproduces the design (an edit that rewires a block, the user's own module),
the whole network is written out: a ``DesignedNetwork`` class whose ``forward`` states every layer.
Either way ``build_model(weights)`` returns it, loaded from ``weights.safetensors`` and frozen as designed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from designer.export.codegen.architecture import BaseArchitecture, base_architecture, init_code
from designer.export.codegen.edits import MinimalForm, minimal_form
from designer.export.codegen.forward import forward_source
from designer.export.codegen.values import assignment
from designer.export.codegen.wrap import wrap
from designer.surgery.design import Design

RULE = "# " + "=" * 93


@dataclass(frozen=True)
class NetworkCode:
    """The section's text, what it imports, and the script's name of each design tensor."""

    section: str
    imports: frozenset[str]
    base: BaseArchitecture | None
    rename: Callable[[str], str]
    minimal: bool


def network_code(design: Design) -> NetworkCode:
    """The smallest faithful form of the design's network (see the module docstring)."""
    base = base_architecture(design)
    form = minimal_form(design, base) if base is not None else None
    if form is not None and base is not None:
        return NetworkCode(_edited_base(design, base, form), frozenset(base.imports), base,
                           form.rename, True)
    init = init_code(design, base)
    forward = forward_source(list(design.network), init.root)
    return NetworkCode(_whole_network(design, base, init.lines, forward.source),
                       frozenset(init.imports | forward.imports), base, _same_name, False)


def _same_name(key: str) -> str:
    return key


def _header(title: str) -> list[str]:
    return ["", "", f"# ---- 1. The network: {title} ----"]


#: the end of build_model: the design's weights, then the freezing plan
_LOAD_AND_FREEZE = [
    'load_model(model, str(weights), strict=True, device="cpu")  # every tensor comes from the file',
    "for name, param in model.named_parameters():  # FROZEN layers (and all inside them) never train",
    '    param.requires_grad_(not any(name == p or name.startswith(p + ".") for p in FROZEN))',
    "return model",
]
_SIGNATURE = "def build_model(weights: Path) -> nn.Module:"


def _edited_base(design: Design, base: BaseArchitecture, form: MinimalForm) -> str:
    from designer.export.codegen.architecture import build_base

    original = build_base(base)
    lines = [f"model = {base.expression}"]
    for edit in form.edits:
        comment = edit.comment[:1].upper() + edit.comment[1:]
        lines += [f"# {part}" for part in textwrap.wrap(comment, 92)]
        lines += wrap(assignment("model", original, edit.path, edit.source), 4)
    if not form.edits:
        lines.append("# (the design did not change the architecture)")
    doc = '"""The network as designed in NetDesigner, with the design\'s weights."""'
    body = textwrap.indent("\n".join([doc, *lines, *_LOAD_AND_FREEZE]), "    ")
    return "\n".join([*_header(f"{base.label} and the design's edits"), _SIGNATURE, body])


def _whole_network(design: Design, base: BaseArchitecture | None, init: list[str], forward: str) -> str:
    if base is not None:
        text = (f"Start from {base.label}. Its random weights are replaced by the design's own "
                "(pretrained + edited) weights when build_model() loads them. The design's edits "
                "change how data flows inside the network, so its forward pass is written out.")
    else:
        text = "Every layer is built here; build_model() loads the design's weights into them."
    intro = [f"# {line}" for line in textwrap.wrap(text, 96)]
    removed_note = "# Layers the design no longer uses."
    init_lines = [] if base is not None else intro
    for line in init:
        if line.startswith("base = "):
            init_lines += [*intro, line, "# The layers, in the order the network first uses them."]
        elif line.startswith(("del ", "delattr(")) and removed_note not in init_lines:
            init_lines += [removed_note, line]
        else:
            init_lines.append(line)
    wrapped = [part for line in init_lines for part in wrap(line, 8)]
    body = textwrap.indent("\n".join(["super().__init__()", *wrapped]), " " * 8)
    head = [
        *_header("the architecture, the design's edits, and its forward pass"),
        "class DesignedNetwork(nn.Module):",
        f'    """{design.info.model_name} as edited in NetDesigner.', "",
        '    Submodule names match the tensor names in weights.safetensors.', '    """', "",
        "    def __init__(self) -> None:",
    ]
    doc = '"""The network as designed in NetDesigner, with the design\'s weights."""'
    body_lines = [doc, "model = DesignedNetwork()", *_LOAD_AND_FREEZE]
    build = ["", "", _SIGNATURE, *textwrap.indent("\n".join(body_lines), "    ").split("\n")]
    return "\n".join([*head, body, "", textwrap.indent(forward, "    "), *build])
