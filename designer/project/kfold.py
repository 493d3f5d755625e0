"""k-fold cross-validation: K normal runs over folds of train+validation, and their spread.

One split says how well a design did on one draw of validation images; K folds say how much
that number moves with the draw. The folds are made from the train and validation images only
(the test split is never touched, so every fold is assessed on the same test images), stratified
by class and fixed by the data seed. Each fold is an ordinary run ("<name> fold i/K") that Compare
lists with its curves; the summary (mean and sample standard deviation over folds of every final
metric) is saved as JSON beside the runs and printed as a table by ``netdesigner train --folds``.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from designer.core.errors import UserError
from designer.data import PoolSubset, SplitManifest, datasets_from_manifest
from designer.data.split import ManifestEntry
from designer.project.data_config import PreparedData
from designer.project.runs import RunRecord
from designer.project.workflow import frozen, train_design
from designer.surgery.design import Design
from designer.surgery.snapshot import FrozenDesign
from designer.training.callbacks import Callback
from designer.training.options import TrainingOptions
from designer.training.run_dir import atomic_write

MAX_FOLDS = 20
SUMMARY_PREFIX = "kfold-"
#: metric key -> label of the table row (the order of the table)
METRICS = {"final_val_acc": "val accuracy (final)", "best_val_acc": "val accuracy (best)",
           "val_loss": "val loss (final)", "test_acc": "test accuracy",
           "train_seconds": "train time (s)"}


class KFoldError(UserError, ValueError):
    """The folds cannot be made from this data, with what to do."""


def check_fold_count(k: object) -> None:
    """Refuse a fold count other than a whole number from 2 to MAX_FOLDS."""
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= MAX_FOLDS:
        raise KFoldError(f"the number of folds must be a whole number from 2 to {MAX_FOLDS} "
                         f"(got {k!r})")


def fold_manifests(manifest: SplitManifest, k: int, seed: int | None = None) -> list[SplitManifest]:
    """``k`` manifests in which every train+val image is in validation exactly once.

    Each class is shuffled by (seed, class name) and dealt round the folds, continuing where the
    previous class stopped, so every fold gets each class in proportion and the fold sizes differ
    by at most one. Test entries are copied unchanged into every fold. ``seed`` defaults to the
    manifest's (the data seed).
    """
    check_fold_count(k)
    seed = manifest.seed if seed is None else seed
    pool = [e for e in manifest.entries if e.split in ("train", "val")]
    if len(pool) < k:
        raise KFoldError(f"{k} folds need at least {k} training and validation images; the data "
                         f"has {len(pool)}. Use fewer folds or add images.")
    fold_of: dict[str, int] = {}
    dealt = 0
    for label, name in enumerate(manifest.classes):
        mine = sorted(e.path for e in pool if e.label == label)
        random.Random(f"{seed}:kfold:{name}").shuffle(mine)
        for path in mine:
            fold_of[path] = dealt % k
            dealt += 1
    folds = []
    for fold in range(k):
        entries = [e if e.split == "test" else
                   ManifestEntry(e.path, e.label, "val" if fold_of[e.path] == fold else "train")
                   for e in manifest.entries]
        folds.append(replace(manifest, entries=entries, seed=seed))
    return folds


def fold_data(data: PreparedData, manifest: SplitManifest, design: Design | FrozenDesign) -> PreparedData:
    """``data`` trained on the fold ``manifest`` (same config, health report and transforms).

    Without augmentation a fold's train and validation sets are subsets of one pool dataset
    (every train+val image, in path order, the same for every fold), so a frozen backbone's
    features of the pool are extracted by the first fold and read back by the others (the
    feature cache keys a subset by its pool).
    """
    pre = frozen(design).info.preprocessing
    augment = data.config.augment if data.config.augment.enabled else None
    datasets = datasets_from_manifest(manifest, pre, augment, image_size=data.config.image_size)
    if augment is None:
        pool = sorted((e for e in manifest.entries if e.split != "test"), key=lambda e: e.path)
        everything = replace(manifest, entries=[replace(e, split="val") for e in pool])
        images = datasets_from_manifest(everything, pre, image_size=data.config.image_size)["val"]
        for split in ("train", "val"):
            datasets[split] = PoolSubset(  # type: ignore[assignment]
                images, [i for i, e in enumerate(pool) if e.split == split])
    return PreparedData(data.config, data.scan, manifest, data.report, datasets)


@dataclass(frozen=True)
class FoldResult:
    """One fold's run and its final metrics (None: not measured, e.g. no test split)."""

    fold: int
    run: str  # the run folder's name, inside the runs folder
    status: str
    metrics: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {"fold": self.fold, "run": self.run, "status": self.status,
                "metrics": dict(self.metrics)}


@dataclass(frozen=True)
class MetricSpread:
    """Mean and sample standard deviation of one metric over the folds that measured it."""

    mean: float | None
    std: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> MetricSpread:
        known = [float(v) for v in values if v is not None and math.isfinite(v)]
        if not known:
            return cls(None, None, 0)
        return cls(statistics.fmean(known),
                   statistics.stdev(known) if len(known) > 1 else None, len(known))


@dataclass(frozen=True)
class KFoldSummary:
    """What a cross-validation found: the folds and the spread of every metric."""

    name: str
    k: int
    seed: int
    folds: tuple[FoldResult, ...]
    created: float
    complete: bool  # False when stopped (or a fold failed) before all K folds trained

    @property
    def metrics(self) -> dict[str, MetricSpread]:
        """metric key -> spread over the completed folds (only metrics some fold measured; a
        stopped or failed fold's numbers are not those of a full training)."""
        done = self.completed
        out = {key: MetricSpread.of(f.metrics.get(key) for f in done) for key in METRICS}
        return {k: v for k, v in out.items() if v.n}

    @property
    def completed(self) -> list[FoldResult]:
        """The folds that trained to their planned end (the ones the spread is over)."""
        return [f for f in self.folds if f.status == "completed"]

    def to_dict(self) -> dict[str, Any]:
        return {"format": "netdesigner.kfold.1", "name": self.name, "k": self.k,
                "seed": self.seed, "created": self.created, "complete": self.complete,
                "folds": [f.to_dict() for f in self.folds],
                "metrics": {k: {"mean": m.mean, "std": m.std, "n": m.n}
                            for k, m in self.metrics.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KFoldSummary:
        """Inverse of `to_dict`; KFoldError for a file this version cannot read."""
        try:
            folds = tuple(FoldResult(int(f["fold"]), _run_name(f["run"]), str(f["status"]),
                                     {str(k): None if v is None else float(v)
                                      for k, v in dict(f["metrics"]).items() if k in METRICS})
                          for f in data["folds"])
            return cls(str(data["name"]), int(data["k"]), int(data["seed"]), folds,
                       float(data["created"]), bool(data["complete"]))
        except (KeyError, TypeError, ValueError) as error:
            raise KFoldError(f"not a cross-validation summary ({error!r})") from error

    def table(self) -> str:
        """The summary as aligned text: one row per metric, mean ± std over the folds."""
        lines = [f"{self.name}: {len(self.completed)} of {self.k} folds"
                 + ("" if self.complete else " (incomplete)"),
                 f"{'metric':<22}{'mean':>10}{'± std':>10}  per fold"]
        for key, spread in self.metrics.items():
            digits = 1 if key == "train_seconds" else 3
            std = "—" if spread.std is None else f"{spread.std:.{digits}f}"
            per_fold = " ".join("—" if f.metrics.get(key) is None
                                else f"{f.metrics[key]:.{digits}f}" for f in self.completed)
            lines.append(f"{METRICS[key]:<22}{spread.mean:>10.{digits}f}{std:>10}  {per_fold}")
        lines += [f"fold {f.fold}: {f.status}, not counted (run {f.run})"
                  for f in self.folds if f.status != "completed"]
        return "\n".join(lines)


def _run_name(value: object) -> str:
    name = str(value)
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"run {name!r} is not a folder name")
    return name


def fold_metrics(run: RunRecord) -> dict[str, float | None]:
    """A finished run's final metrics, read from its own records."""
    summary = run.summary
    validations = run.history.validations
    test = run.evaluation.accuracy if run.evaluation is not None \
        and run.evaluation.split == "test" else None
    return {"final_val_acc": run.final_val_acc, "best_val_acc": run.best_val_acc,
            "val_loss": float(validations[-1]["val_loss"]) if validations else None,
            "test_acc": test,
            "train_seconds": summary.elapsed_seconds if summary is not None else None}


FoldProgress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class KFoldRequest:
    """A cross-validation as a value: what crosses from the GUI thread to a worker (``design``
    is a snapshot, so the live design may change meanwhile)."""

    design: FrozenDesign
    data: PreparedData
    options: TrainingOptions
    runs_root: Path
    k: int
    name: str | None = None

    def __post_init__(self) -> None:
        check_fold_count(self.k)


def train_folds(design: Design | FrozenDesign, data: PreparedData, options: TrainingOptions, k: int,
                *, runs_root: Path, name: str | None = None, callbacks: Iterable[Callback] = (),
                should_stop: Callable[[], bool] | None = None,
                fold_started: FoldProgress | None = None,
                measure_latency: bool = False) -> KFoldSummary:
    """Train ``design`` once per fold (each a normal run named "<name> fold i/K"), then save and
    return the summary. ``callbacks`` and ``should_stop`` reach every fold's engine; a stop (or a
    fold that fails) ends the series after that fold, and the summary covers the folds done.
    ``fold_started(i, k, run_name)`` is told before fold i (1-based) starts.
    """
    if not isinstance(options, TrainingOptions):
        raise TypeError(f"options must be TrainingOptions, got {type(options).__name__}")
    design = frozen(design)
    manifests = fold_manifests(data.manifest, k)
    name = name or design.info.model_name
    callbacks = list(callbacks)
    results: list[FoldResult] = []
    complete = True
    for index, manifest in enumerate(manifests, start=1):
        run_name = f"{name} fold {index}/{k}"
        if fold_started is not None:
            fold_started(index, k, run_name)
        run = train_design(design, fold_data(data, manifest, design), options,
                           runs_root=runs_root, name=run_name, callbacks=callbacks,
                           should_stop=should_stop, measure_latency=measure_latency)
        results.append(FoldResult(index, run.run_dir.name, run.status, fold_metrics(run)))
        if run.status != "completed" or (should_stop is not None and should_stop()):
            complete = index == k and run.status == "completed"
            break
    summary = KFoldSummary(name, k, data.manifest.seed, tuple(results), time.time(), complete)
    save_summary(summary, runs_root)
    return summary


def save_summary(summary: KFoldSummary, runs_root: Path) -> Path:
    """Write the summary atomically as runs_root/kfold-<time>.json (a new name each time)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(summary.created))
    path, index = runs_root / f"{SUMMARY_PREFIX}{stamp}.json", 1
    while path.exists():
        index += 1
        path = runs_root / f"{SUMMARY_PREFIX}{stamp}-{index}.json"
    text = json.dumps(summary.to_dict(), indent=1)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def load_summaries(runs_root: Path) -> list[KFoldSummary]:
    """The cross-validations saved in a runs folder, oldest first (unreadable files skipped)."""
    out = []
    for path in sorted(Path(runs_root).glob(f"{SUMMARY_PREFIX}*.json")):
        try:
            out.append(KFoldSummary.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda s: s.created)
