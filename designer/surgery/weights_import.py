"""A weights file against a zoo architecture: the weights report, and loading what fits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from designer.core.errors import UserError
from designer.surgery.design import Design, DesignInfo
from designer.surgery.import_report import ImportReport, ImportResult
from designer.surgery.modules import seeded_init
from designer.zoo.registry import create_model, get_entry
from designer.zoo.weights import load_weights_file
from designer.zoo.weights_report import WeightsReport, compare_weights, matching_part


class WeightsImportError(UserError, ValueError):
    """A weights file that cannot be opened as asked."""


def open_weights(path: Path, model: str | None, *, load_matching: bool = False,
                 input_size: int | None = None) -> ImportResult:
    """Open zoo model `model` with the weights in `path`, or report why they do not fit."""
    state = load_weights_file(path)  # weights_only=True; refuses pickled objects
    if model is None:
        params = sum(int(t.numel()) for t in state.values() if t.is_floating_point())
        report = ImportReport(str(path), "weights file", f"{len(state)} tensors, {params:,} "
                              "parameters, no architecture", False, parameters=params,
                              actions=("A weights file holds no architecture: choose the model it "
                                       "belongs to (--model NAME, or open the model in the "
                                       "browser and import the file as its weights).",))
        return ImportResult(report)
    return fit_weights(model, state, str(path), load_matching=load_matching,
                       input_size=input_size)


def fit_weights(model: str, state: Mapping[str, torch.Tensor], source: str, *,
                load_matching: bool = False, input_size: int | None = None) -> ImportResult:
    """Build zoo `model`, compare `state` with it, load it when it fits (or its matching part
    when `load_matching`), and report."""
    entry = get_entry(model)
    prefixes = tuple(entry.ignored_weight_prefixes)
    incoming = {k: v for k, v in state.items() if not (prefixes and k.startswith(prefixes))}
    with seeded_init("open_model", entry.name):
        module = create_model(entry.name, "none")
    weights = compare_weights(module.state_dict(), incoming)
    load = weights.fits or (load_matching and weights.loadable)
    actions = _actions(weights, load_matching)
    came_in = f"{len(incoming)} tensors for {entry.display_name}"
    if not load:
        report = ImportReport(source, "weights file", came_in, False, actions=actions,
                              weights=weights)
        return ImportResult(report, extras={"weights": weights})
    module.load_state_dict(matching_part(weights, incoming), strict=False)
    info = DesignInfo(model_name=entry.name, source=entry.source, weights=source,
                      class_names=tuple(entry.categories) if weights.fits else (),
                      preprocessing=entry.preprocessing,
                      input_size=input_size or entry.preprocessing.crop_size)
    design = Design.from_module(module.eval(), info)
    from designer.surgery.import_file import parity

    check = parity(module, design, f"{entry.name} with the file's weights")
    report = ImportReport(source, "weights file", came_in, True, layers=len(design.network),
                          parameters=sum(int(t.numel()) for t in module.parameters()),
                          actions=actions, check=check, weights=weights)
    return ImportResult(report, design, extras={"weights": weights})


def _actions(weights: WeightsReport, load_matching: bool) -> tuple[str, ...]:
    if weights.fits:
        return ()
    if not weights.loadable:
        return ("Nothing in the file fits this model: choose the architecture it was saved "
                "from.",)
    if load_matching:
        kept = len(weights.missing) + len(weights.mismatched)
        return (f"{kept} tensors kept the model's own (random) values: train them (e.g. the new "
                "head) before using the model.",)
    return (f"Load the {len(weights.matched)} matching tensors and keep the model's own values "
            "for the rest: --load-matching (CLI), load_matching=True (API) or 'Load matching "
            "part' (GUI).",)
