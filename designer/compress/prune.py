"""Structured pruning with torch-pruning: remove whole channels, and get back a normal design.

torch-pruning's dependency graph keeps the network valid: channels joined by a residual add are
removed together, a depthwise convolution loses exactly the channels its input lost, and the
BatchNorm after a convolution follows it. The classifier's outputs (the classes) are never
pruned. Importance is the L2 magnitude of each channel group, or first-order Taylor
(|weight × gradient|, from a few training batches). The pruned module is traced again into a
new :class:`Design`, so it shows on the canvas and can be edited, trained (the recovery
fine-tune is an ordinary run), exported and compared like any other design.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from designer.compress.analysis import last_heavy_module
from designer.core.errors import UserError
from designer.export.timing import measure
from designer.surgery.design import Design
from designer.zoo.speed import torch_threads

log = logging.getLogger(__name__)
Importance = Literal["magnitude", "taylor"]
Cancel = Callable[[], bool]
Progress = Callable[[float, str], None]


class PruneError(UserError, ValueError):
    """The design cannot be pruned as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class PruneResult:
    """The pruned design with before/after size, cost and measured batch-1 latency."""

    design: Design
    ratio: float
    importance: str
    params_before: int
    params_after: int
    macs_before: int
    macs_after: int
    ms_before: float
    ms_after: float
    #: CPU threads the latency was measured at
    threads: int = 1

    def table(self) -> list[str]:
        """Before/after rows (accuracy is added by whoever fine-tunes and evaluates)."""
        def row(name: str, a: float, b: float, fmt: str) -> str:
            return f"{name:<22}{a:>14{fmt}}{b:>14{fmt}}   ×{b / a if a else 0:.2f}"

        return [f"{'':<22}{'before':>14}{'after':>14}",
                row("parameters", self.params_before, self.params_after, ",.0f"),
                row("MACs", self.macs_before, self.macs_after, ",.0f"),
                row(f"latency b1 {self.threads} thr (ms)", self.ms_before, self.ms_after, ".2f")]


def prune_design(design: Design, ratio: float, *, importance: Importance = "magnitude",
                 batches: Iterable[tuple[Tensor, Tensor]] = (), name: str | None = None,
                 threads: int | None = None, progress: Progress | None = None,
                 cancel: Cancel | None = None) -> PruneResult:
    """Remove `ratio` of the channels of every prunable layer; `design` is not changed.

    `batches` (images, labels) are needed for Taylor importance (a few training batches).
    Latency is measured at `threads` CPU threads (None: the calling thread's setting).
    A design torch-pruning cannot handle raises one :class:`PruneError` saying so.
    """
    import torch_pruning as tp

    report = progress or (lambda _f, _m: None)
    if not 0.0 < ratio < 1.0:
        raise PruneError(f"the share of channels to prune must be between 0 and 1, got {ratio}")
    if importance not in ("magnitude", "taylor"):
        raise PruneError(f"importance must be 'magnitude' or 'taylor', got {importance!r}")
    model = design.build()
    x = torch.randn(design.info.input_shape, generator=torch.Generator().manual_seed(0))
    original = copy.deepcopy(model).eval()
    pruned = copy.deepcopy(model).eval()
    for parameter in pruned.parameters():
        parameter.requires_grad_(True)  # frozen layers are pruned too (the tool needs grads)
    report(0.05, "finding which channels depend on each other")
    try:
        pruner = _pruner(tp, pruned, x, ratio, importance, design.num_classes)
        if importance == "taylor":
            report(0.2, "scoring channels on training batches (Taylor)")
            _accumulate_gradients(pruned, batches, cancel)
        _check_cancel(cancel)
        report(0.4, f"removing {ratio:.0%} of the channels")
        pruner.step()
        pruned.zero_grad(set_to_none=True)
        pruned.eval()
        report(0.55, "counting parameters and MACs")
        macs_before, params_before = tp.utils.count_ops_and_params(original, x)
        macs_after, params_after = tp.utils.count_ops_and_params(pruned, x)
    except (PruneError, PruneCancelledError):
        raise
    except Exception as error:
        log.info("torch-pruning failed", exc_info=True)
        raise PruneError(f"torch-pruning cannot prune this design ({type(error).__name__}: "
                         f"{str(error).splitlines()[0] if str(error) else 'no details'}). "
                         "Structured pruning needs a network of standard convolution and "
                         "linear layers; the design was not changed.") from error
    if params_after >= params_before:
        raise PruneError("no channel could be removed: this design has no layer that structured "
                         "pruning can shrink (see Analyze for compression)")
    _check_cancel(cancel)
    report(0.65, "measuring the latency before and after")
    with torch_threads(threads):
        times = measure({"before": lambda: _forward(original, x),
                         "after": lambda: _forward(pruned, x)}, warmup=2, repeats=10, cancel=cancel)
    _check_cancel(cancel)
    percent = round(100 * ratio)
    info = replace(design.info, model_name=name or f"{design.info.model_name}-pruned{percent}",
                   architecture=design.info.architecture or design.info.model_name)
    report(0.85, "building the pruned design")
    new = Design.from_module(pruned, info)
    _keep_frozen(design, new)
    report(1.0, "done")
    return PruneResult(new, ratio, importance, int(params_before), int(params_after),
                       int(macs_before), int(macs_after), times["before"].median_ms,
                       times["after"].median_ms, threads or torch.get_num_threads())


def training_batches(dataset: Dataset[tuple[Tensor, int]], *, batches: int = 4,
                     batch_size: int = 8) -> Iterator[tuple[Tensor, Tensor]]:
    """A few shuffled batches of training images for Taylor importance (fixed seed)."""
    if batches < 1 or batch_size < 1:
        raise ValueError(f"batches and batch_size must be >= 1, got {batches}, {batch_size}")
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=0,
                        generator=torch.Generator().manual_seed(0))
    for index, batch in enumerate(loader):
        if index >= batches:
            return
        yield batch[0], batch[1]


class PruneCancelledError(RuntimeError):
    """The user cancelled pruning; the design was not changed."""


def _check_cancel(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        raise PruneCancelledError("pruning cancelled: the design was not changed")


def _pruner(tp: Any, model: nn.Module, x: Tensor, ratio: float, importance: str,
            classes: int | None) -> Any:
    imp = tp.importance.GroupTaylorImportance() if importance == "taylor" \
        else tp.importance.GroupMagnitudeImportance(p=2)
    return tp.pruner.MetaPruner(model, x, importance=imp, pruning_ratio=ratio,
                                ignored_layers=_classifiers(model, classes))


def _forward(model: nn.Module, x: Tensor) -> None:
    with torch.inference_mode():
        model(x)


def _classifiers(model: nn.Module, classes: int | None) -> list[nn.Module]:
    """Layers whose outputs are the classes: pruning them would remove classes."""
    last = [m for m in [last_heavy_module(model)] if m is not None]
    by_size = [m for m in model.modules()
               if (isinstance(m, nn.Linear) and m.out_features == classes)]
    return list({id(m): m for m in [*last, *by_size]}.values())


def _accumulate_gradients(model: nn.Module, batches: Iterable[tuple[Tensor, Tensor]],
                          cancel: Cancel | None) -> None:
    seen = 0
    model.eval()  # BatchNorm statistics stay as trained
    for images, labels in batches:
        _check_cancel(cancel)
        outputs = model(images)
        if labels.numel() and int(labels.max()) >= outputs.shape[1]:
            raise PruneError(f"the training data has more classes than the design's "
                             f"{outputs.shape[1]} outputs: replace the final layers for the "
                             "data's classes first, or use magnitude importance")
        loss = nn.functional.cross_entropy(outputs, labels)
        loss.backward()
        seen += 1
    if seen == 0:
        raise PruneError("Taylor importance needs a few training batches: choose data first, "
                         "or use magnitude importance")


def _keep_frozen(old: Design, new: Design) -> None:
    """Layers that were frozen stay frozen in the pruned design (same names after tracing)."""
    frozen = set(old.frozen_layers())
    names = [layer.name for layer in new.network if layer.name in frozen]
    if names:
        new.freeze(names)
