"""Arithmetic over runs: metrics, curves, config differences, Pareto front.

Plain functions over `RunRecord` (no Qt), so the numbers the compare page shows are easy to
test and a notebook or the CLI can compute the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from designer.project.runs import RunRecord
from designer.training.history import History
from designer.training.run_records import number as _number

#: curve names -> (history section, value key)
SERIES = {"val_acc": ("validations", "val_acc"), "train_loss": ("iterations", "loss")}


@dataclass(frozen=True)
class RunMetrics:
    """One row of the metrics table (None where the run has no such number)."""

    best_val_acc: float | None
    final_val_acc: float | None
    best_val_loss: float | None
    final_val_loss: float | None
    train_seconds: float | None
    params: int | None
    trainable_params: int | None
    latency_ms: float | None
    eval_acc: float | None
    eval_split: str


def run_metrics(run: RunRecord) -> RunMetrics:
    """The numbers the metrics table compares."""
    losses = [float(v["val_loss"]) for v in run.history.validations
              if _number(v.get("val_loss")) is not None]
    evaluation, stats = run.evaluation, run.stats
    return RunMetrics(
        best_val_acc=run.best_val_acc, final_val_acc=run.final_val_acc,
        best_val_loss=min(losses) if losses else None,
        final_val_loss=losses[-1] if losses else None,
        train_seconds=run.summary.elapsed_seconds if run.summary is not None else None,
        params=stats.params, trainable_params=stats.trainable_params,
        latency_ms=stats.latency_ms,
        eval_acc=evaluation.accuracy if evaluation is not None else None,
        eval_split=evaluation.split if evaluation is not None else "",
    )


def accuracy_of(run: RunRecord) -> float | None:
    """Held-out accuracy for the scatter: the evaluation's, else the best validation accuracy."""
    metrics = run_metrics(run)
    return metrics.eval_acc if metrics.eval_acc is not None else metrics.best_val_acc


def iterations_per_epoch(history: History) -> float | None:
    """How many iterations one epoch took (to put curves on an epoch axis)."""
    epochs = history.epochs
    if epochs and epochs[0].get("epoch"):
        return float(epochs[0]["iteration"]) / float(epochs[0]["epoch"])
    first = [r["iteration"] for r in history.iterations if r.get("epoch") == 1]
    return float(max(first)) if first else None


def curve(run: RunRecord, series: str, axis: str = "iteration") -> tuple[list[float], list[float]]:
    """(x, y) of a series ("val_acc" or "train_loss") against "iteration" or "epoch"."""
    section, key = SERIES[series]
    rows = [r for r in getattr(run.history, section) if _number(r.get(key)) is not None]
    xs = [float(r["iteration"]) for r in rows]
    if axis == "epoch":
        per_epoch = iterations_per_epoch(run.history) or 1.0
        xs = [x / per_epoch for x in xs]
    return xs, [float(r[key]) for r in rows]


# ----- configuration differences --------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _flatten(prefix: str, data: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(f"{name}.", value, out)
        else:
            out[name] = _text(value)


def design_facts(design: Mapping[str, Any]) -> dict[str, str]:
    """Model, class count, frozen-layer count and learning-rate factors of a saved design."""
    info = design.get("info") or {}
    layers = (design.get("network") or {}).get("layers") or []
    frozen = [ly for ly in layers if ly.get("frozen") and ly.get("num_params", 0) > 0]
    factors = {ly["name"]: ly.get("lr_factor", 1.0) for ly in layers
               if ly.get("op") == "module" and ly.get("lr_factor", 1.0) != 1.0}
    return {
        "model": str(info.get("model_name", "?")),
        "weights": str(info.get("weights", "?")),
        "classes": str(len(info.get("class_names") or [])),
        "frozen layers": f"{len(frozen)} of {sum(1 for ly in layers if ly.get('num_params', 0) > 0)}",
        "lr factors": ", ".join(f"{n} ×{f:g}" for n, f in factors.items()) or "none",
    }


def config_of(run: RunRecord) -> dict[str, str]:
    """Every setting of a run as display text: options, data config, design facts."""
    out: dict[str, str] = {}
    if run.options is not None:
        _flatten("", run.options.to_dict(), out)
    _flatten("data.", run.data, out)
    if run.design:
        _flatten("design.", dict(design_facts(run.design)), out)
    return out


def config_diff(runs: Sequence[RunRecord]) -> list[tuple[str, list[str]]]:
    """(setting, value per run) for the settings that are not the same in every run."""
    if len(runs) < 2:
        return []
    configs = [config_of(r) for r in runs]
    keys = list(dict.fromkeys(k for c in configs for k in c))
    rows = [(k, [c.get(k, "(not set)") for c in configs]) for k in keys]
    return [(k, values) for k, values in rows if len(set(values)) > 1]


#: the settings a person tells runs apart by, with the short word shown in run lists
KEY_SETTINGS = {"design.model": "model", "data.source": "data", "data.dataset_version": "data v",
                "data.image_size": "size",
                "design.weights": "weights", "design.frozen layers": "frozen", "solver": "solver",
                "lr": "lr", "epochs": "epochs", "batch_size": "batch", "design.lr factors": "lr ×"}


def _short(key: str, value: str) -> str:
    if key == "data.source":  # a folder path: its last part is what the user recognises
        return value.rstrip("/").rsplit("/", 1)[-1] or value
    return value


def what_differs(runs: Sequence[RunRecord]) -> list[str]:
    """Per run, its values of the key settings that are not the same in every run
    ('lr 0.01, epochs 2'); other differing settings are counted ('+3 more')."""
    rows = config_diff(runs)
    keyed = sorted((r for r in rows if r[0] in KEY_SETTINGS), key=lambda r: list(KEY_SETTINGS)
                   .index(r[0]))
    others = len(rows) - len(keyed)
    texts = []
    for i in range(len(runs)):
        parts = [f"{KEY_SETTINGS[key]} {_short(key, values[i])}" for key, values in keyed]
        if others:
            parts.append(f"+{others} more")
        texts.append(", ".join(parts))
    return texts if len(runs) > 1 else [""] * len(runs)


def accuracy_text(run: RunRecord) -> str:
    """The run's accuracy in percent, as every page shows it ('87.5 %'; '—' when none)."""
    accuracy = accuracy_of(run)
    return "—" if accuracy is None else f"{100 * accuracy:.1f} %"


# ----- accuracy vs latency --------------------------------------------------------------------
def pareto_front(points: Sequence[tuple[float, float]],
                 spreads: Sequence[float | None] | None = None) -> list[int]:
    """Indices of the (latency, accuracy) points no other point beats, fastest first.

    A point is dominated when another is at least as fast and at least as accurate, and
    strictly better in one of the two. With `spreads` (each latency's timing noise, ms), two
    latencies whose intervals (latency ± spread) overlap count as equal: timing noise never
    decides between two runs, so equally accurate runs of tied speed are both on the front.
    """
    if spreads is not None and len(spreads) != len(points):
        raise ValueError(f"{len(spreads)} spreads for {len(points)} points")
    noise = [abs(s or 0.0) for s in spreads] if spreads is not None else [0.0] * len(points)

    def beats(j: int, i: int) -> bool:
        (lat, acc), (o_lat, o_acc) = points[i], points[j]
        as_fast = o_lat - noise[j] <= lat + noise[i]
        faster = o_lat + noise[j] < lat - noise[i]
        return as_fast and o_acc >= acc and (faster or o_acc > acc)

    front = [i for i in range(len(points))
             if not any(beats(j, i) for j in range(len(points)) if j != i)]
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))
