"""Where the loop's batches come from: cached features when possible, else the datasets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn
from torch.utils.data import Dataset

from designer.training.batches import BatchSource, LoaderSource
from designer.training.feature_cache import (
    CacheContext,
    CacheFallback,
    FeatureCache,
    build_cache,
    plan_cache,
)


@dataclass
class Sources:
    """The module to train (the model, or its trainable suffix) and its batch sources."""

    net: nn.Module
    train: BatchSource
    val: BatchSource | None
    cache: FeatureCache | None
    reason: str  # the run-log line about feature caching


def choose_sources(
    model: nn.Module, train_data: Dataset[Any], val_data: Dataset[Any] | None, augmented: bool,
    ctx: CacheContext, evaluation_data: Dataset[Any] | None = None,
) -> Sources:
    """Cache features when the plan allows and the split checks out; otherwise use loaders.

    Raises :class:`~designer.training.feature_cache.CacheCancelled` if stopped while caching.
    """
    plan = plan_cache(model, ctx.options, augmented)
    reason = plan.reason
    if plan.split is not None:
        try:
            cache = build_cache(model, plan.split, train_data, val_data, augmented, ctx,
                                evaluation_data)
        except CacheFallback as fallback:
            reason = str(fallback)
        else:
            reason += f" ({cache.storage}, {_size(cache.nbytes)})"
            if cache.reused:
                total = cache.reused + cache.extracted
                reason += ("; features reused from the project's feature cache, no backbone "
                           "pass" if not cache.extracted else
                           f"; features reused for {cache.reused} of {total} parts")
            return Sources(cache.net, cache.train, cache.val, cache, reason)
    options, accel = ctx.options, ctx.accel
    pin = accel.device.type == "cuda"
    train = LoaderSource(train_data, options.batch_size, seed=options.seed, train=True,
                         workers=accel.num_workers, pin_memory=pin)
    val = None
    if val_data is not None and len(val_data):  # type: ignore[arg-type]
        val = LoaderSource(val_data, options.batch_size, seed=options.seed, train=False,
                           workers=accel.num_workers, pin_memory=pin)
    return Sources(model, train, val, None, reason)


def _size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB"):
        if nbytes < 1024:
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} GB"
