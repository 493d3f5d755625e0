"""The model finder: which model of a shortlist fits the user's data, in minutes.

For each candidate: extract the features its head reads once (`designer.search.backbone`: the
zoo module cut before its final Linear, BatchNorm folded; models it cannot cut are opened as
designs with the head replaced and the backbone frozen, `designer.search.probe`),
cross-validate a linear probe, and measure latency and size on this machine. Results are typed
(`FinderResult`) and saved in the project as data: ``finder/<stamp>/finder.json`` plus
``probe-<n>.safetensors`` (the probes' head weights, so one click opens a model whose new head
starts from the probe).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError

from designer.core.errors import UserError
from designer.core.paths import PathEscapeError, inside
from designer.data import datasets_from_manifest
from designer.project.data_config import PreparedData
from designer.project.project_file import RUNS
from designer.project.run_compare import pareto_front
from designer.project.workflow import feature_store_folder
from designer.search.backbone import head_input_model, pooled_features
from designer.search.probe import (
    ProbeCancelled,
    ProbeError,
    extract_features,
    fit_probe,
)
from designer.search.shortlist import Candidate, plan
from designer.surgery.design import Design
from designer.surgery.edits import final_parametric_layer
from designer.surgery.opening import open_model
from designer.training.run_dir import load_weights, save_weights, write_json
from designer.zoo.errors import ZooError
from designer.zoo.registry import get_entry
from designer.zoo.speed import measure_latency

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
FINDER_DIR = "finder"
RESULT_FILE = "finder.json"
FORMAT = "netdesigner.finder"
VERSION = 1
#: the default probe size (px): features at 128 px cost ~1/3 of the 224 px a zoo model trains at
#: by default, and rank models as 224 px does on the sample photos (bench/find_model.py)
PROBE_SIZE = 128


class FinderError(UserError, ValueError):
    """The finder cannot run or its saved result cannot be read, with what to do."""


class FinderCancelled(Exception):  # noqa: N818 - control flow, like StopIteration
    """The user cancelled; ``partial`` holds the candidates finished before that."""

    def __init__(self, partial: FinderResult) -> None:
        super().__init__("cancelled")
        self.partial = partial


@dataclass(frozen=True)
class ProbeResult:
    """One candidate's row: accuracy on the user's data beside speed, size and ImageNet top-1."""

    model: str
    weights: str  # "pretrained" | "none"
    display_name: str
    family: str
    cv_accuracy: float
    cv_std: float
    folds: int
    test_accuracy: float | None
    latency_ms: float
    params: int
    size_mb: float
    imagenet_top1: float | None
    feature_dim: int
    seconds: float
    probe_file: str | None = None  # inside the result's folder, when the head can start from it

    @property
    def candidate(self) -> Candidate:
        return Candidate(self.model, "none" if self.weights == "none" else "pretrained")

    @property
    def label(self) -> str:
        return self.candidate.label

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProbeResult:
        """Typed fields only; a missing or wrong one fails (the reader says which file)."""
        def num(key: str) -> float:
            value = float(data[key])
            if not math.isfinite(value):
                raise ValueError(f"{key} is not a finite number")
            return value

        test = data.get("test_accuracy")
        top1 = data.get("imagenet_top1")
        probe = data.get("probe_file")
        return cls(
            model=str(data["model"]), weights=str(data["weights"]),
            display_name=str(data["display_name"]), family=str(data["family"]),
            cv_accuracy=num("cv_accuracy"), cv_std=num("cv_std"), folds=int(data["folds"]),
            test_accuracy=None if test is None else float(test), latency_ms=num("latency_ms"),
            params=int(data["params"]), size_mb=num("size_mb"),
            imagenet_top1=None if top1 is None else float(top1),
            feature_dim=int(data["feature_dim"]), seconds=num("seconds"),
            probe_file=None if probe is None else str(probe))


@dataclass(frozen=True)
class FinderResult:
    """Every probed candidate, what was skipped (and why), and on what data."""

    data_source: str
    classes: tuple[str, ...]
    image_size: int | None
    created: float
    results: tuple[ProbeResult, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (candidate label, reason)
    downloads: tuple[tuple[str, float], ...] = ()  # (model, MB) that would need downloading
    folder: Path | None = field(default=None, compare=False)

    def ranked(self) -> list[ProbeResult]:
        """Best probe accuracy first (held-out test accuracy breaks ties)."""
        return sorted(self.results, key=lambda r: (-r.cv_accuracy, -(r.test_accuracy or 0.0)))

    def pareto(self) -> list[ProbeResult]:
        """The candidates no other is both faster than and more accurate than, fastest first."""
        points = [(r.latency_ms, r.cv_accuracy) for r in self.results]
        return [self.results[i] for i in pareto_front(points)]

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "data_source": self.data_source,
                "classes": list(self.classes), "image_size": self.image_size,
                "created": self.created, "results": [r.to_dict() for r in self.results],
                "skipped": [list(s) for s in self.skipped],
                "downloads": [list(d) for d in self.downloads]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], folder: Path | None = None) -> FinderResult:
        if data.get("format") != FORMAT:
            raise ValueError("not a model-finder result")
        if int(data.get("version", 0)) > VERSION:
            raise ValueError("written by a newer NetDesigner")
        size = data.get("image_size")
        return cls(
            data_source=str(data["data_source"]),
            classes=tuple(str(c) for c in data["classes"]),
            image_size=None if size is None else int(size), created=float(data["created"]),
            results=tuple(ProbeResult.from_dict(r) for r in data["results"]),
            skipped=tuple((str(a), str(b)) for a, b in data.get("skipped", [])),
            downloads=tuple((str(a), float(b)) for a, b in data.get("downloads", [])),
            folder=folder)


def find_models(data: PreparedData, candidates: Sequence[Candidate], *,
                image_size: int | None = None, folds: int = 5, download: bool = False,
                progress: Progress | None = None, cancel: Cancel | None = None,
                save_to: Path | None = None) -> FinderResult:
    """Probe every ready candidate on ``data`` (its split: train+val cross-validated, test held
    out). A candidate that fails (no network, a model the cache cannot split) is skipped with
    its reason. With ``save_to`` (a project folder) the result and probe weights are saved there.
    Cancelling raises `FinderCancelled` carrying the candidates finished so far (also saved).
    """
    if not candidates:
        raise FinderError("the shortlist is empty: choose at least one model")
    if not isinstance(folds, int) or folds < 2:
        raise FinderError(f"folds must be a whole number of at least 2, got {folds!r}")
    cost = plan(candidates, download=download)
    result = FinderResult(
        data_source=data.config.source, classes=tuple(data.classes), image_size=image_size,
        created=time.time(), skipped=tuple((c.label, why) for c, why in cost.skipped),
        downloads=tuple((c.model, mb) for c, mb in cost.downloads))
    rows: list[ProbeResult] = []
    weights: list[tuple[np.ndarray, np.ndarray] | None] = []
    skipped = list(result.skipped)
    count = len(cost.ready)
    for index, candidate in enumerate(cost.ready):
        def scaled(fraction: float, message: str, index: int = index,
                   label: str = candidate.label) -> None:
            if progress is not None:
                progress((index + fraction) / count, f"{label} ({index + 1} of {count}): "
                                                     f"{message}")
        try:
            row, head = probe_candidate(
                candidate, data, image_size=image_size, folds=folds, progress=scaled,
                cancel=cancel,
                store=None if save_to is None else feature_store_folder(save_to / RUNS))
        except ProbeCancelled:
            partial = _saved(replace(result, results=tuple(rows), skipped=tuple(skipped)),
                             weights, save_to)
            raise FinderCancelled(partial) from None
        except (ProbeError, ZooError) as error:
            skipped.append((candidate.label, str(error)))
            continue
        rows.append(row)
        weights.append(head)
    if progress is not None:
        progress(1.0, f"Probed {len(rows)} model(s)")
    return _saved(replace(result, results=tuple(rows), skipped=tuple(skipped)), weights, save_to)


def probe_candidate(candidate: Candidate, data: PreparedData, *, image_size: int | None = None,
                    folds: int = 5, progress: Progress | None = None,
                    cancel: Cancel | None = None, store: Path | None = None
                    ) -> tuple[ProbeResult, tuple[np.ndarray, np.ndarray] | None]:
    """One candidate's row and, when its new head is a Linear on the features, the probe's
    (weight, bias) for that head. ``store``: the project's persistent feature cache."""
    start = time.perf_counter()
    entry = get_entry(candidate.model)
    size = image_size or entry.preprocessing.crop_size
    datasets = datasets_from_manifest(data.manifest, entry.preprocessing, None, image_size=size)
    backbone = head_input_model(candidate.model, candidate.weights, len(data.classes), size,
                                cancel=cancel)
    if backbone is not None:  # the quick way: no design, BatchNorm folded
        features = pooled_features(backbone, datasets, store=store, progress=progress,
                                   cancel=cancel)
        params = backbone.params
    else:  # a head the quick way cannot cut off: the frozen prefix of the opened design
        design = open_candidate(candidate, data.classes, image_size=size, cancel=cancel)
        features = extract_features(design, datasets, store=store, progress=progress,
                                    cancel=cancel)
        params = sum(int(t.numel()) for t in design.state_dict().values())
    if progress is not None:
        progress(0.95, "Fitting the probe")
    fit = fit_probe(features, folds=folds, cancel=cancel)
    if progress is not None:
        progress(0.98, "Timing on this machine")
    latency = measure_latency(candidate.model, image_size=size, cancel=cancel)
    row = ProbeResult(
        model=entry.name, weights=candidate.weights,
        display_name=entry.display_name, family=entry.family,
        cv_accuracy=fit.cv_accuracy, cv_std=fit.cv_std, folds=fit.folds,
        test_accuracy=fit.test_accuracy, latency_ms=float(latency), params=params,
        size_mb=round(params * 4 / 2**20, 2),
        imagenet_top1=entry.acc1 if candidate.weights == "pretrained" else None,
        feature_dim=int(features.pool[0].shape[1]), seconds=time.perf_counter() - start)
    return row, ((fit.weight, fit.bias) if features.head_ready else None)


def open_candidate(candidate: Candidate, classes: Sequence[str], *, image_size: int | None = None,
                   head: tuple[np.ndarray, np.ndarray] | None = None,
                   cancel: Cancel | None = None) -> Design:
    """The model with its head replaced for ``classes`` and its backbone frozen; ``head``
    (a probe's weight and bias) becomes the new head's starting values."""
    weights = "pretrained" if candidate.weights == "pretrained" else "none"
    design = open_model(candidate.model, weights, input_size=image_size, cancel=cancel)
    design.replace_head(len(classes), class_names=list(classes))
    design.freeze_backbone()
    if head is not None:
        target = final_parametric_layer(design.network).target
        module = design.store[target]
        weight = torch.from_numpy(np.ascontiguousarray(head[0]))
        if not isinstance(module, torch.nn.Linear) or tuple(weight.shape) != tuple(
                module.weight.shape):
            raise FinderError(f"the probe's weights ({tuple(weight.shape)}) do not fit the new "
                              f"head of {candidate.model}; open it without them")
        state = {f"{target}.weight": weight}
        if module.bias is not None:
            state[f"{target}.bias"] = torch.from_numpy(np.ascontiguousarray(head[1]))
        design.apply_state_dict(state, "Start the head from the linear probe")
    return design


# ----- saving in the project ---------------------------------------------------------------
def _saved(result: FinderResult, heads: Sequence[tuple[np.ndarray, np.ndarray] | None],
           project: Path | None) -> FinderResult:
    if project is None:
        return result
    folder = project / FINDER_DIR / time.strftime("%Y%m%d-%H%M%S", time.localtime(result.created))
    while folder.exists():
        folder = folder.with_name(folder.name + "-1")
    try:
        folder.mkdir(parents=True)
        rows = []
        for index, (row, head) in enumerate(zip(result.results, heads, strict=True)):
            if head is not None:
                name = f"probe-{index}.safetensors"
                save_weights(folder / name, {"weight": torch.from_numpy(head[0]),
                                             "bias": torch.from_numpy(head[1])},
                             {"model": row.model})
                row = replace(row, probe_file=name)
            rows.append(row)
        result = replace(result, results=tuple(rows), folder=folder)
        write_json(folder / RESULT_FILE, result.to_dict())  # last: the commit point
    except OSError as error:
        raise FinderError(f"cannot save the finder's results in {folder}: "
                          f"{error.strerror or error}. Free some disk space.") from error
    return result


def load_results(project: Path) -> list[FinderResult]:
    """Saved finder results of a project, oldest first (damaged or foreign files are skipped)."""
    import json

    root = project / FINDER_DIR
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        try:
            path = inside(root, f"{folder.name}/{RESULT_FILE}", what="a finder result")
            found.append(FinderResult.from_dict(json.loads(path.read_text("utf-8")), path.parent))
        except (OSError, ValueError, KeyError, TypeError, PathEscapeError):
            continue
    return found


def probe_head(result: FinderResult, row: ProbeResult) -> tuple[np.ndarray, np.ndarray] | None:
    """The saved probe weights of ``row`` (None when it has none); the file must lie inside
    the result's folder and hold exactly a weight and a bias."""
    if row.probe_file is None or result.folder is None:
        return None
    try:
        path = inside(result.folder, row.probe_file, what="a probe weights file")
        tensors = load_weights(path)
    except (OSError, PathEscapeError, ValueError, SafetensorError) as error:
        raise FinderError(f"the probe weights of {row.label} cannot be read ({error}); open "
                          "the model without them") from error
    if set(tensors) != {"weight", "bias"}:
        raise FinderError(f"{row.probe_file} is not a probe weights file")
    return tensors["weight"].numpy(), tensors["bias"].numpy()
