"""Pooled backbone features for the finder, straight from the zoo module (no design opened).

A probe needs, per image, the vector the model's final Linear reads. Opening the model as a
design (fx trace, copy, shape analysis: 1.4 s quiet, 16-21 s on the loaded 2-core machine) and
running the frozen prefix of its graph is what a training run needs, not a probe. Here the zoo
module is built, its final Linear swapped for an identity (checked: the model then returns
exactly what that Linear read), BatchNorm folded into the convolutions
(`designer.surgery.bn_fold`), and the images run through it in channels_last, 32 at a time
(measured on Lite0 at 128 px, one thread: 3.4 s plain at 64 per pass -> 1.2 s). Features are
kept in the project's feature store like the training engine's. A model this does not fit (a
Conv2d head, two heads averaged) gives None: the finder then opens it as a design.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from designer.data import ImageDataset
from designer.search.probe import Features, ProbeCancelled
from designer.surgery.bn_fold import fold_pairs, foldable_pairs, same_output
from designer.surgery.opening import create_seeded
from designer.training.accel import Acceleration, choose
from designer.training.batches import LoaderSource
from designer.training.feature_store import (
    FeatureStore,
    dataset_fingerprint,
    entry_key,
    module_digest,
)
from designer.training.options import TrainingOptions
from designer.training.prefetch import prefetched
from designer.zoo.conventions import classifier_paths
from designer.zoo.speed import torch_threads

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
BATCH = 32  # images per forward: 32 beat 16, 48, 64 and 128 per image (Lite0, 2-core CPU)
_KIND = "finder head input v1"  # what the feature store entries hold (part of their key)


class ThreadChoice:
    """torch's threads or one, whichever runs a batch faster now: on the 2-core machine beside
    one busy process, two threads wait on each other (Lite0, 169 images: 5-9 s with two, 2.3 s
    with one), while on an idle machine two are faster. Tried on the 2nd and 3rd batch (the
    1st warms up), then kept; torch's setting is restored when a batch ends."""

    def __init__(self) -> None:
        self.full = torch.get_num_threads()
        self.seconds: dict[int, float] = {}  # threads -> per-image seconds of a tried batch
        self.batches = 0

    def pick(self) -> int:
        if self.full <= 1 or self.batches == 0:
            return self.full
        for threads in (1, self.full):
            if threads not in self.seconds:
                return threads
        return min(self.seconds, key=self.seconds.__getitem__)

    @contextlib.contextmanager
    def timed(self, images: int) -> Iterator[None]:
        threads = self.pick()
        start = time.perf_counter()
        with torch_threads(threads):
            yield
        if self.batches > 0 and threads not in self.seconds and images:
            self.seconds[threads] = (time.perf_counter() - start) / images
        self.batches += 1


@dataclass
class Backbone:
    """The model returning its final Linear's input, ready for inference only (folded)."""

    model: nn.Module
    accel: Acceleration
    feature_dim: int
    params: int  # tensors of the model with its head replaced, as the opened design has them
    digest: str  # of the pretrained (unfolded) weights and the head's place: the store's key
    threads: ThreadChoice = field(default_factory=ThreadChoice)


def head_input_model(name: str, weights: str, classes: int, image_size: int, *,
                     cancel: Cancel | None = None) -> Backbone | None:
    """Zoo model ``name`` cut before its final Linear, or None when its head is not one Linear
    whose input the model's output can be cut to (the caller then opens a design)."""
    if not isinstance(classes, int) or classes < 1:
        raise ValueError(f"classes must be a positive whole number, got {classes!r}")
    if not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"image_size must be a whole number of pixels >= 8, got {image_size!r}")
    model = create_seeded(name, weights if weights == "pretrained" else "none", cancel=cancel)
    example = torch.randn(1, 3, image_size, image_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), torch_threads(1):  # tiny passes: a second thread only waits (busy CPU)
        with foldable_pairs(model) as pairs:
            found = _final_linear(model, example)
        if found is None:
            return None
        path, head, expected = found
        parent, _, attribute = path.rpartition(".")
        setattr(model.get_submodule(parent), attribute, nn.Identity())
        tensors = sum(int(t.numel()) for t in model.state_dict().values())
        digest = module_digest(model, f"{_KIND}|{name}|{path}")  # before folding: the weights
        unfold = fold_pairs(model, pairs)
        if not _is_cut(model(example), expected):
            unfold()  # (a conv output used twice, say): unfolded, if the cut itself holds
            if not _is_cut(model(example), expected):
                return None  # something after the head changes its output: not a plain cut
    params = tensors + head.in_features * classes + (classes if head.bias is not None else 0)
    accel = choose(TrainingOptions(batch_size=BATCH, feature_cache="memory", epochs=1), model)
    model.to(accel.device)
    if accel.channels_last:
        model.to(memory_format=torch.channels_last)
    return Backbone(model, accel, head.in_features, params, digest)


def _is_cut(got: object, expected: torch.Tensor) -> bool:
    """The model returns one feature vector per image, equal to what the head read."""
    return isinstance(got, torch.Tensor) and got.dim() == 2 and same_output(expected, got)


def _final_linear(model: nn.Module,
                  example: torch.Tensor) -> tuple[str, nn.Linear, torch.Tensor] | None:
    """The last Linear/Conv2d run (the layer a design replaces as the head), when it is a
    Linear run once whose output is the model's output; with its input on ``example``."""
    calls: list[tuple[str, nn.Module, Any, Any]] = []

    def hook(path: str) -> Callable[..., None]:
        def record(module: nn.Module, inputs: Any, output: Any) -> None:
            calls.append((path, module, inputs[0] if inputs else None, output))
        return record

    handles = [m.register_forward_hook(hook(p)) for p, m in model.named_modules()
               if isinstance(m, nn.Linear | nn.Conv2d)]
    try:
        output = model(example)
    finally:
        for handle in handles:
            handle.remove()
    if not calls or not isinstance(output, torch.Tensor):
        return None
    path, module, inputs, result = calls[-1]
    declared = classifier_paths(model)
    if not isinstance(module, nn.Linear) or not isinstance(inputs, torch.Tensor) \
            or sum(1 for c in calls if c[0] == path) != 1 or (declared and declared != (path,)) \
            or not isinstance(result, torch.Tensor) or not torch.equal(result, output):
        return None
    return path, module, inputs.detach().clone()


def pooled_features(backbone: Backbone, datasets: dict[str, ImageDataset], *,
                    store: Path | None = None, progress: Progress | None = None,
                    cancel: Cancel | None = None) -> Features:
    """The head-input features of train + validation (pooled for cross-validation) and test;
    with ``store`` (the project's feature store) features kept there are read, new ones kept."""
    cache = FeatureStore(store) if store is not None else None
    total = sum(len(datasets[s]) for s in ("train", "val", "test"))
    done = 0

    def run(stage: str, dataset: Dataset[Any]) -> tuple[np.ndarray, np.ndarray]:
        nonlocal done
        rows = len(dataset)  # type: ignore[arg-type]
        key = _key(backbone, dataset) if cache is not None else None
        entry = cache.load(key, rows, getattr(dataset, "targets", None)) \
            if cache is not None and key is not None else None
        if entry is not None:
            x, y = entry.tensors[0], entry.labels
        else:
            x, y = _extract(backbone, dataset, stage, done, total, progress, cancel)
            if cache is not None and key is not None:
                with contextlib.suppress(OSError):  # not kept (full disk): extracted next time
                    cache.save(key, [x], y)
        done += rows
        _report(progress, done, total, stage, rows, rows)
        return x.float().numpy(), y.numpy()

    pool = [run("train", datasets["train"])]
    if len(datasets["val"]):
        pool.append(run("validation", datasets["val"]))
    held_out = None
    if len(datasets["test"]):
        try:
            held_out = run("evaluation", datasets["test"])
        except ProbeCancelled:
            raise
        except Exception:  # noqa: BLE001 - a bad test image: the row shows no test accuracy
            held_out = None  # (as the training engine's cached evaluation split does)
    features = np.concatenate([x for x, _ in pool])
    return Features((features, np.concatenate([y for _, y in pool])), held_out, True)


def _key(backbone: Backbone, dataset: Dataset[Any]) -> str | None:
    fingerprint = dataset_fingerprint(dataset)
    if fingerprint is None:
        return None
    accel = backbone.accel
    return entry_key(backbone.digest, _KIND, fingerprint, accel.device.type, accel.amp_dtype)


def _extract(backbone: Backbone, dataset: Dataset[Any], stage: str, offset: int, total: int,
             progress: Progress | None, cancel: Cancel | None) -> tuple[torch.Tensor, torch.Tensor]:
    accel = backbone.accel
    source = LoaderSource(dataset, BATCH, seed=0, train=False, workers=accel.num_workers,
                          pin_memory=accel.device.type == "cuda")
    outputs: list[torch.Tensor] = []
    labels: list[torch.Tensor] = []
    count = 0
    batches = prefetched(source.batches(1))  # decoding overlaps the forwards
    with contextlib.closing(batches), torch.inference_mode(), accel.autocast():
        for (images,), y in batches:
            if cancel is not None and cancel():
                raise ProbeCancelled
            with backbone.threads.timed(len(images)):
                outputs.append(backbone.model(accel.batch_to_device(images)).float().to("cpu"))
            labels.append(y)
            count += len(outputs[-1])
            _report(progress, offset + count, total, stage, count, source.num_samples)
    return torch.cat(outputs), torch.cat(labels)


def _report(progress: Progress | None, done: int, total: int, stage: str, count: int,
            rows: int) -> None:
    if progress is not None and total:
        progress(min(1.0, done / total), f"Extracting features ({stage}): {count} of {rows}")
