"""Feature caching: run the frozen part of the network once and train the rest on its outputs.

Used when the model is an fx graph whose trainable layers sit after a frozen, deterministic
prefix and the training images are not augmented (or, with ``cache_augmented_views=K``, on K
cached augmented passes, epoch ``e`` using pass ``(e-1) % K``). The decision and its reason go
to the run log. The split is checked on real data before use (``suffix(prefix(x)) == model(x)``
in eval mode) and abandoned, with a log line, if it does not hold. The split the finished run
is evaluated on is extracted in the same pass (``FeatureCache.evaluation``), so evaluating a
frozen-backbone run runs only the trained head (designer.project.cached_eval).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn
from torch.utils.data import Dataset

from designer.data.dataset import PoolSubset
from designer.training.accel import Acceleration
from designer.training.batches import LoaderSource, TensorSource, mix_seed
from designer.training.events import CacheProgressEvent, Event, LogEvent
from designer.training.feature_store import (
    FeatureStore,
    dataset_fingerprint,
    entry_key,
    module_digest,
)
from designer.training.graph_split import GraphSplit, split_frozen_prefix
from designer.training.options import TrainingOptions
from designer.training.prefetch import prefetched

_MEMORY_BUDGET = 4 * 2**30
_QUICK_PASS = 0.5  # seconds: a pass this quick may double (so a pass stays under ~1 s: stop
# stays responsive); 64 images per forward are 10-25 % faster per image than 32 on a 2-core CPU
_MAX_PASS = 256  # images per forward pass at most


class CacheFallback(Exception):  # noqa: N818 - control flow, carries the reason for the log
    """Caching turned out impossible; train the whole model instead (``str`` is the reason)."""


class CacheCancelled(Exception):  # noqa: N818 - control flow
    """``should_stop`` became true while features were being extracted."""


@dataclass
class CachePlan:
    """Whether to cache, decided before touching data; ``reason`` is the run-log line."""

    split: GraphSplit | None
    reason: str


@dataclass
class FeatureCache:
    """What the loop trains on when caching: the suffix network and tensor batch sources."""

    net: fx.GraphModule
    train: TensorSource
    val: TensorSource | None
    storage: str
    nbytes: int
    directory: Path | None = None
    _owns_directory: bool = field(default=False, repr=False)
    evaluation: CachedSplit | None = None
    reused: int = 0  # splits/views read from the persistent store (no backbone pass)
    extracted: int = 0  # splits/views computed by running the backbone

    def cleanup(self) -> None:
        """Delete the on-disk cache (it is only valid for this run's frozen weights)."""
        if self.directory is not None and self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


@dataclass(frozen=True)
class CachedSplit:
    """The evaluation split's boundary tensors (in memory), so the finished run is assessed by
    running only ``net`` (the trained suffix, sharing the model's modules) on them."""

    net: fx.GraphModule
    tensors: list[torch.Tensor]
    labels: torch.Tensor


def plan_cache(model: nn.Module, options: TrainingOptions, augmented: bool) -> CachePlan:
    """Decide from the graph and the options alone (cheap; no data is read)."""
    if options.feature_cache == "off":
        return CachePlan(None, "feature cache: off (as requested)")
    if options.mixes_batches:
        return CachePlan(None, "feature cache not used: MixUp/CutMix mix the images of every "
                         "batch, so the frozen layers see new inputs at every step (mixing "
                         "cached features instead would be a different method)")
    if not isinstance(model, fx.GraphModule):
        return CachePlan(None, "feature cache not used: the model is not a torch.fx graph")
    if augmented and options.cache_augmented_views == 0:
        return CachePlan(None, "feature cache not used: training images are augmented, so every "
                         "epoch sees new inputs (without augmentation the frozen layers' outputs "
                         "would be computed once and reused)")
    split, why = split_frozen_prefix(model)
    if split is None:
        return CachePlan(None, f"feature cache not used: {why}")
    views = options.cache_augmented_views
    inputs = (f"{views} augmented views cached, one per epoch in turn" if augmented
              else "no augmentation")
    return CachePlan(split, f"features cached: backbone frozen, {inputs} -> training only the "
                     f"layers after {', '.join(split.boundary)} on cached features")


@dataclass
class CacheContext:
    """Everything extraction needs from the run."""

    options: TrainingOptions
    accel: Acceleration
    emit: Callable[[Event], None]
    should_stop: Callable[[], bool]
    run_dir: Path | None
    store: FeatureStore | None = None  # persistent cache in the project (None: this run only)


def build_cache(
    model: nn.Module, split: GraphSplit, train_data: Dataset[Any], val_data: Dataset[Any] | None,
    augmented: bool, ctx: CacheContext, evaluation_data: Dataset[Any] | None = None,
) -> FeatureCache:
    """Extract boundary tensors for the training (K views) and validation sets, and for
    ``evaluation_data`` (the split the finished run is assessed on) in the same pass."""
    options = ctx.options
    views = options.cache_augmented_views if augmented else 1
    n_val = len(val_data) if val_data is not None else 0  # type: ignore[arg-type]
    n_eval = 0 if evaluation_data is None or evaluation_data is val_data \
        else len(evaluation_data)  # type: ignore[arg-type]
    store = _Storage(options.feature_cache, views * len(train_data) + n_val + n_eval, ctx.run_dir)  # type: ignore[arg-type]
    split.prefix.eval()
    persist = _Persist(split, ctx)
    try:
        train_views, labels = [], None
        for view in range(views):
            stage = f"train pass {view + 1}/{views}" if views > 1 else "train"
            tensors, labels = persist.get(model, train_data, view, augmented, stage, store)
            train_views.append(tensors)
        val = None
        if val_data is not None and n_val:
            val_tensors, val_labels = persist.get(model, val_data, 0, False, "validation", store)
            val = TensorSource([val_tensors], val_labels, options.batch_size,
                               seed=options.seed, train=False)
        evaluation = _evaluation_split(model, split, val_data, val, evaluation_data, store,
                                       persist)
    except BaseException:
        store.discard()
        raise
    assert labels is not None
    train = TensorSource(train_views, labels, options.batch_size, seed=options.seed, train=True)
    return FeatureCache(split.suffix, train, val, store.kind, store.nbytes, store.directory,
                        store.owns_directory, evaluation, persist.reused, persist.extracted)


class _Persist:
    """Reads splits from the project's feature store when their key matches, else extracts
    them (and saves them there); the key's hash of the frozen weights is computed once."""

    def __init__(self, split: GraphSplit, ctx: CacheContext) -> None:
        self.split, self.ctx = split, ctx
        self.reused = self.extracted = 0
        self._digest: str | None = None
        self._last_pool: tuple[Dataset[Any], list[torch.Tensor], torch.Tensor] | None = None

    def get(
        self, model: nn.Module, dataset: Dataset[Any], view: int, random: bool, stage: str,
        storage: _Storage,
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        if isinstance(dataset, PoolSubset) and not random:  # k-fold: part of a shared pool
            pool_tensors, pool_labels = self._pool(model, dataset.dataset, stage, storage)
            index = torch.as_tensor([int(i) for i in dataset.indices], dtype=torch.long)
            return [t[index] for t in pool_tensors], pool_labels[index]
        key = self._key(dataset, view, random)
        store = self.ctx.store
        rows = len(dataset)  # type: ignore[arg-type]
        if key is not None and store is not None:
            entry = store.load(key, rows, getattr(dataset, "targets", None))
            if entry is not None:
                self.reused += 1
                storage.nbytes += sum(t.numel() * t.element_size() for t in entry.tensors)
                self.ctx.emit(CacheProgressEvent(stage, rows, rows))
                return entry.tensors, entry.labels
        tensors, labels = _extract(model, self.split, dataset, view, stage, storage, self.ctx)
        self.extracted += 1
        if key is not None and store is not None:
            size = sum(t.numel() * t.element_size() for t in tensors)
            if size <= _budget():  # entries are read back into memory
                try:
                    store.save(key, tensors, labels)
                except OSError as error:
                    self.ctx.emit(LogEvent(f"feature cache not saved in the project "
                                           f"({error.strerror or error}); the next run will "
                                           "extract the features again", "warning"))
        return tensors, labels

    def _pool(
        self, model: nn.Module, pool: Dataset[Any], stage: str, storage: _Storage,
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The whole pool's features (once per run: a fold's train and val share them)."""
        if self._last_pool is None or self._last_pool[0] is not pool:
            self._last_pool = (pool, *self.get(model, pool, 0, False, stage, storage))
        return self._last_pool[1], self._last_pool[2]

    def _key(self, dataset: Dataset[Any], view: int, random: bool) -> str | None:
        if self.ctx.store is None:
            return None
        fingerprint = dataset_fingerprint(dataset)
        if fingerprint is None:
            return None
        if self._digest is None:
            self._digest = module_digest(self.split.prefix, self.split.prefix.code)
        options, accel = self.ctx.options, self.ctx.accel
        # augmented passes also depend on the seeds and how samples are shared out to workers
        draws = (options.seed, options.batch_size, accel.num_workers, view) if random else ()
        return entry_key(self._digest, ",".join(self.split.boundary), fingerprint,
                         accel.device.type, accel.amp_dtype, random, *draws)


def _evaluation_split(
    model: nn.Module, split: GraphSplit, val_data: Dataset[Any] | None,
    val: TensorSource | None, data: Dataset[Any] | None, store: _Storage, persist: _Persist,
) -> CachedSplit | None:
    """The evaluation split's features, or None: then the run is evaluated through the whole
    model, which skips and names unreadable images one by one (here one would fail the pass)."""
    if data is None or not len(data) or store.kind != "memory":  # type: ignore[arg-type]
        return None  # (disk caches are deleted when training ends)
    if data is val_data and val is not None:
        return CachedSplit(split.suffix, val.views[0], val.labels)
    try:
        tensors, labels = persist.get(model, data, 0, False, "evaluation", store)
    except CacheCancelled:
        raise
    except Exception:  # noqa: BLE001 - a bad test image: evaluation handles it per file
        return None
    return CachedSplit(split.suffix, tensors, labels)


def _extract(
    model: nn.Module, split: GraphSplit, dataset: Dataset[Any], view: int, stage: str,
    store: _Storage, ctx: CacheContext,
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Run the prefix over ``dataset`` in order, writing boundary tensors into the store.

    Loader batches are grouped into larger forward passes (no gradients, so memory allows it;
    measured ~25 % faster on CPU) while a pass stays short enough for a prompt stop.
    """
    accel, options = ctx.accel, ctx.options
    source = LoaderSource(dataset, options.batch_size, seed=mix_seed(options.seed, 2, view),
                          train=False, workers=accel.num_workers,
                          pin_memory=accel.device.type == "cuda")
    torch.default_generator.manual_seed(mix_seed(options.seed, 3, view))  # in-process augmentation
    writer = _Writer(model, split, store, source.num_samples)
    group: list[torch.Tensor] = []
    per_pass = 1  # loader batches per forward pass, doubled while passes are quick
    batches = prefetched(source.batches(1))  # decoding overlaps the forwards
    with contextlib.closing(batches):  # a stop or an error ends the reader at once
        for (images,), y in batches:
            if ctx.should_stop():
                raise CacheCancelled
            group.append(images)
            writer.labels.append(y)
            if len(group) < per_pass:
                continue
            seconds = writer.write(accel, torch.cat(group) if len(group) > 1 else group[0])
            group = []
            if seconds < _QUICK_PASS and per_pass * options.batch_size < _MAX_PASS:
                per_pass *= 2
            ctx.emit(CacheProgressEvent(stage, writer.done, writer.total))
    if group:
        writer.write(accel, torch.cat(group))
        ctx.emit(CacheProgressEvent(stage, writer.done, writer.total))
    return writer.buffers, torch.cat(writer.labels)


class _Writer:
    """Runs the prefix on a batch and appends its outputs to the preallocated buffers."""

    def __init__(self, model: nn.Module, split: GraphSplit, store: _Storage, total: int) -> None:
        self.model, self.split, self.store, self.total = model, split, store, total
        self.buffers: list[torch.Tensor] = []
        self.labels: list[torch.Tensor] = []
        self.done = 0

    def write(self, accel: Acceleration, images: torch.Tensor) -> float:
        """Returns the seconds the pass took."""
        start = time.perf_counter()
        x = accel.batch_to_device(images)
        with torch.no_grad(), accel.autocast():
            outs = self.split.prefix(x)
            if not self.buffers:
                _check_boundary(outs, len(x))
                if not self.store.checked:  # once per cache: the split does not change
                    _check_exact(self.model, self.split, x, outs)
                    self.store.checked = True
                self.buffers = self.store.allocate(outs, self.total)
            for buffer, out in zip(self.buffers, outs, strict=True):
                buffer[self.done : self.done + len(x)] = out.detach().to("cpu")
        self.done += len(x)
        return time.perf_counter() - start


def _check_boundary(outs: Sequence[Any], batch: int) -> None:
    for value in outs:
        if not isinstance(value, torch.Tensor) or value.dim() == 0 or value.shape[0] != batch:
            raise CacheFallback("feature cache not used: the frozen part passes a non-batch value "
                                "(e.g. a shape) to the trainable part")


def _check_exact(
    model: nn.Module, split: GraphSplit, x: torch.Tensor, outs: Sequence[torch.Tensor],
) -> None:
    """Compare the split (the prefix outputs ``outs`` of batch ``x``, through the suffix) and
    the whole model on two samples, eval mode, same precision: one extra forward of 2 images."""
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        expected = model(x[:2])
        got = split.suffix(*(o[:2] for o in outs))
    finally:
        for module, training in modes.items():
            module.train(training)
    pairs = list(zip(_tensors(expected), _tensors(got), strict=False))
    for want, have in pairs:
        scale = max(1.0, float(want.abs().max()))
        tol = 1e-4 if want.dtype == torch.float32 else 5e-2
        if want.shape != have.shape or float((want - have).abs().max()) > tol * scale:
            raise CacheFallback("feature cache not used: the split model did not reproduce the "
                                "model's output exactly, so training the whole model instead")
    if not pairs:
        raise CacheFallback("feature cache not used: the model's output is not a tensor")


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [t for v in value for t in _tensors(v)]
    return []


class _Storage:
    """Preallocated buffers per boundary tensor, in RAM or memory-mapped files."""

    def __init__(self, mode: str, samples: int, run_dir: Path | None) -> None:
        self.mode, self.samples, self.run_dir = mode, samples, run_dir
        self.kind = "memory"
        self.nbytes = 0
        self.directory: Path | None = None
        self.owns_directory = False
        self.checked = False

    def allocate(self, outs: Sequence[torch.Tensor], rows: int) -> list[torch.Tensor]:
        per_sample = sum(o[0].numel() * o.element_size() for o in outs)
        if self.mode == "disk" or (self.mode == "auto" and per_sample * self.samples > _budget()):
            self.kind = "disk"
        buffers = [self._buffer((rows, *o.shape[1:]), o.dtype) for o in outs]
        self.nbytes += per_sample * rows
        return buffers

    def _buffer(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        if self.kind == "memory":
            return torch.empty(shape, dtype=dtype)
        if self.directory is None:
            if self.run_dir is not None:
                self.directory = self.run_dir / "feature_cache"
                self.directory.mkdir(parents=True, exist_ok=True)
            else:
                self.directory = Path(tempfile.mkdtemp(prefix="netdesigner-cache-"))
            self.owns_directory = True
        fd, name = tempfile.mkstemp(suffix=".bin", dir=self.directory)
        os.close(fd)
        size = math.prod(shape)
        return torch.from_file(name, shared=True, size=size, dtype=dtype).view(shape)

    def discard(self) -> None:
        if self.directory is not None and self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _budget() -> int:
    """RAM the cache may use: a quarter of physical memory, at most 4 GiB."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return _MEMORY_BUDGET // 4
    return min(_MEMORY_BUDGET, physical // 4)
