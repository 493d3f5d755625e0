"""Fold BatchNorm into the convolution before it, for inference-only forward passes.

In eval mode a BatchNorm is a per-channel affine map, so ``bn(conv(x))`` is one convolution with
rescaled weights and a bias: the BatchNorm pass (a quarter of a mobile CNN's CPU time, measured
on Lite0) disappears. torch.fx's ``fuse`` only matches exact ``Conv2d -> BatchNorm2d`` module
types, which misses timm's ``BatchNormAct2d`` (BatchNorm + activation in one module) and
``Conv2dSame``; here pairs are found by running the model: a BatchNorm whose input is exactly the
tensor a convolution just returned. The folded model must not be trained (its BatchNorms are
gone) and is checked against the original on an example input: if the outputs differ (a
convolution's output also used elsewhere, say), every change is undone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from timm.layers import BatchNormAct2d  # timm's BatchNorm + drop + activation in one module
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

_TOLERANCE = 1e-4  # relative to the output's largest magnitude (float32 reassociation)


def fold_batchnorm(model: nn.Module, example: torch.Tensor) -> int:
    """Fold every eval-mode ``Conv2d -> BatchNorm2d`` (or timm ``BatchNormAct2d``) pair of
    ``model`` in place; returns how many were folded (0: nothing foldable, or the folded model
    did not reproduce the output on ``example``, and ``model`` is as it was)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(example, torch.Tensor) or example.dim() < 1 or len(example) == 0:
        raise ValueError("example must be a non-empty batch tensor")
    if model.training:
        raise ValueError("fold BatchNorm only in an eval-mode model (it is for inference)")
    with torch.no_grad():
        with foldable_pairs(model) as pairs:
            expected = model(example)
        if not pairs:
            return 0
        undo = fold_pairs(model, pairs)
        if not same_output(expected, model(example)):
            undo()
            return 0
    return len(pairs)


@contextlib.contextmanager
def foldable_pairs(model: nn.Module) -> Iterator[list[tuple[str, str]]]:
    """The (conv path, BatchNorm path) pairs of the forward passes run inside the block: a
    BatchNorm whose input is the very tensor a convolution returned. The list is filled when
    the block ends (a module run twice, or a conv feeding two BatchNorms, is left out)."""
    produced: dict[int, tuple[str, torch.Tensor]] = {}  # id(output) -> conv (tensor kept alive)
    calls: dict[str, int] = {}
    found: list[tuple[str, str]] = []

    def conv_hook(path: str) -> Callable[..., None]:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            calls[path] = calls.get(path, 0) + 1
            if isinstance(output, torch.Tensor):
                produced[id(output)] = (path, output)
        return hook

    def bn_hook(path: str) -> Callable[..., None]:
        def hook(_module: nn.Module, inputs: Any) -> None:
            calls[path] = calls.get(path, 0) + 1
            if inputs and isinstance(inputs[0], torch.Tensor) and id(inputs[0]) in produced:
                source, tensor = produced[id(inputs[0])]
                if tensor is inputs[0]:
                    found.append((source, path))
        return hook

    handles = []
    for path, module in model.named_modules():
        if _foldable_conv(module):
            handles.append(module.register_forward_hook(conv_hook(path)))
        elif _foldable_norm(module):
            handles.append(module.register_forward_pre_hook(bn_hook(path)))
    pairs: list[tuple[str, str]] = []
    try:
        yield pairs
    finally:
        for handle in handles:
            handle.remove()
        produced.clear()
    convs = [c for c, _ in found]
    pairs.extend((c, b) for c, b in found
                 if calls.get(c) == 1 and calls.get(b) == 1 and convs.count(c) == 1)


def fold_pairs(model: nn.Module, pairs: Sequence[tuple[str, str]]) -> Callable[[], None]:
    """Fold the pairs (from `foldable_pairs`) in place; returns the step that undoes it. The
    caller checks the output: a conv's output used elsewhere too would now be normalised."""
    undo: list[Callable[[], None]] = []
    with torch.no_grad():
        for conv_path, bn_path in pairs:
            conv, bn = model.get_submodule(conv_path), model.get_submodule(bn_path)
            if not _foldable_conv(conv) or not _foldable_norm(bn):
                raise ValueError(f"{conv_path} -> {bn_path} is not a foldable eval-mode pair")
            assert isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
            undo.append(_set(model, conv_path, fuse_conv_bn_eval(conv, bn)))
            undo.append(_set(model, bn_path, _after_norm(bn)))

    def restore() -> None:
        for step in reversed(undo):
            step()
    return restore


def _foldable_conv(module: nn.Module) -> bool:
    return isinstance(module, nn.Conv2d) and not module.training


def _foldable_norm(module: nn.Module) -> bool:
    """Plain BatchNorm2d, or timm's BatchNormAct2d (its act and drop are kept), with running
    statistics and in eval mode; other subclasses may compute something else."""
    return type(module) in (nn.BatchNorm2d, BatchNormAct2d) and not module.training \
        and module.running_mean is not None and module.running_var is not None


def _after_norm(bn: nn.BatchNorm2d) -> nn.Module:
    """What remains of a BatchNorm module once its normalisation is in the convolution."""
    if type(bn) is nn.BatchNorm2d:
        return nn.Identity()
    assert isinstance(bn, BatchNormAct2d)
    parts = [bn.get_submodule("drop"), bn.get_submodule("act")]  # normalise, then drop, then act
    return nn.Sequential(*parts).eval()


def _set(model: nn.Module, path: str, module: nn.Module) -> Callable[[], None]:
    """Replace the submodule at ``path``; returns the step that puts the old one back."""
    parent_path, _, name = path.rpartition(".")
    parent = model.get_submodule(parent_path)
    old = getattr(parent, name)
    setattr(parent, name, module)
    return lambda: setattr(parent, name, old)


def same_output(expected: Any, got: Any) -> bool:
    """Equal structure and tensors equal within float32 reassociation (relative 1e-4)."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            return False
        if not expected.numel():
            return True
        scale = max(1.0, float(expected.abs().max()))
        return float((expected - got).abs().max()) <= _TOLERANCE * scale
    if isinstance(expected, tuple | list):
        return isinstance(got, tuple | list) and len(got) == len(expected) and all(
            same_output(a, b) for a, b in zip(expected, got, strict=True))
    return isinstance(got, type(expected)) and expected == got
