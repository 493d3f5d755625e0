"""The numbers behind the compare page: Pareto front, settings diff, curves on an epoch axis."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from designer.project.run_compare import (
    accuracy_of,
    config_diff,
    curve,
    design_facts,
    pareto_front,
    run_metrics,
    what_differs,
)
from designer.project.runs import RunEvaluation, RunRecord
from designer.training.history import History
from designer.training.options import TrainingOptions
from designer.training.run_records import RunInfo, RunSummary


def _brute_force_front(points: list[tuple[float, float]]) -> set[int]:
    def beats(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return a[0] <= b[0] and a[1] >= b[1] and a != b

    return {i for i, p in enumerate(points) if not any(beats(q, p) for q in points)}


def test_pareto_front_is_the_non_dominated_points_fastest_first() -> None:
    rng = random.Random(3)
    for _ in range(50):
        points = [(rng.choice([1.0, 2.0, 3.0, 5.0, 8.0]), rng.choice([0.5, 0.7, 0.8, 0.9]))
                  for _ in range(rng.randint(1, 8))]
        front = pareto_front(points)
        assert set(front) == _brute_force_front(points)
        latencies = [points[i][0] for i in front]
        accuracies = [points[i][1] for i in front]
        assert latencies == sorted(latencies)
        assert accuracies == sorted(accuracies)  # slower is only worth it when more accurate


def _run(name: str, options: dict[str, Any], history: dict[str, Any] | None = None,
         data: dict[str, Any] | None = None, summary: dict[str, Any] | None = None,
         evaluation: dict[str, Any] | None = None) -> RunRecord:
    return RunRecord(run_dir=Path(f"/runs/{name}"), info=RunInfo(name, data=data or {}),
                     options=TrainingOptions.from_dict(options),
                     history=History.from_dict(history or {}),
                     summary=RunSummary.from_dict({"reason": "completed", **summary})
                     if summary else None,
                     evaluation=RunEvaluation.from_dict(evaluation) if evaluation else None)


def test_config_diff_keeps_only_differing_settings_including_nested_and_missing() -> None:
    a = _run("a", {"lr": 0.001, "epochs": 2}, data={"source": "x", "augment": {"hflip": False}})
    b = _run("b", {"lr": 0.01, "epochs": 2}, data={"source": "x", "augment": {"hflip": True}})
    c = _run("c", {"lr": 0.001, "epochs": 2, "grad_clip": 1.0},
             data={"source": "x", "augment": {"hflip": False}})
    assert config_diff([a, b]) == [("lr", ["0.001", "0.01"]),
                                   ("data.augment.hflip", ["False", "True"])]
    assert ("grad_clip", ["0", "0", "1"]) in config_diff([a, b, c])
    d = _run("d", {"lr": 0.001, "epochs": 2}, data={"source": "x"})
    assert ("data.augment.hflip", ["False", "(not set)"]) in config_diff([a, d])
    assert config_diff([a]) == []


def test_design_facts_count_frozen_layers_and_list_lr_factors() -> None:
    layers = [
        {"name": "conv", "op": "module", "frozen": True, "num_params": 10, "lr_factor": 1.0},
        {"name": "relu", "op": "module", "frozen": True, "num_params": 0, "lr_factor": 1.0},
        {"name": "fc", "op": "module", "frozen": False, "num_params": 5, "lr_factor": 10.0},
    ]
    facts = design_facts({"info": {"model_name": "m", "class_names": ["a", "b", "c"]},
                          "network": {"layers": layers}})
    assert facts["frozen layers"] == "1 of 2"
    assert facts["lr factors"] == "fc ×10"
    assert facts["classes"] == "3"


def test_curves_on_the_epoch_axis_without_epoch_rows() -> None:
    """A run stopped inside epoch 2 has no epoch-2 row; epoch 1's row sets the scale."""
    history = {
        "iterations": [{"epoch": 1 + i // 4, "iteration": i + 1, "loss": 1.0 / (i + 1)}
                       for i in range(6)],
        "validations": [{"epoch": 1, "iteration": 4, "val_acc": 0.5, "val_loss": 0.9}],
        "epochs": [{"epoch": 1, "iteration": 4}],
    }
    run = _run("r", {}, history)
    xs, ys = curve(run, "train_loss", "epoch")
    assert xs == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    assert ys == [1.0 / (i + 1) for i in range(6)]
    assert curve(run, "val_acc", "epoch") == ([1.0], [0.5])
    no_epochs = _run("s", {}, {**history, "epochs": []})
    assert curve(no_epochs, "train_loss", "epoch")[0] == xs


def test_metrics_and_accuracy_fall_back_when_a_run_has_no_evaluation() -> None:
    history = {"validations": [{"iteration": 1, "val_acc": 0.4, "val_loss": 1.2},
                               {"iteration": 2, "val_acc": 0.6, "val_loss": 0.8},
                               {"iteration": 3, "val_acc": 0.5, "val_loss": 0.9}]}
    run = _run("r", {}, history, summary={"best_val_acc": 0.6, "final_val_acc": 0.5})
    metrics = run_metrics(run)
    assert (metrics.best_val_loss, metrics.final_val_loss) == (0.8, 0.9)
    assert metrics.eval_acc is None and metrics.latency_ms is None
    assert accuracy_of(run) == 0.6
    evaluated = _run("e", {}, history, summary={"best_val_acc": 0.6},
                     evaluation={"accuracy": 0.7, "split": "test"})
    assert accuracy_of(evaluated) == 0.7


def test_pareto_front_counts_latencies_within_their_noise_as_ties() -> None:
    # two identical networks timed at 103 and 197 ms with wide noise: neither beats the other
    same = [(103.0, 0.9), (197.0, 0.9)]
    assert pareto_front(same) == [0], "without noise the faster timing wins"
    assert pareto_front(same, [50.0, 50.0]) == [0, 1]
    # tied speed: the more accurate run alone is worth choosing, whichever timed faster
    assert pareto_front([(103.0, 0.85), (197.0, 0.9)], [60.0, 60.0]) == [1]
    # a difference beyond the noise still counts
    assert pareto_front([(10.0, 0.85), (197.0, 0.9)], [1.0, 2.0]) == [0, 1]
    assert pareto_front([(10.0, 0.9), (197.0, 0.9)], [1.0, None]) == [0]
    with pytest.raises(ValueError, match="spreads"):
        pareto_front(same, [1.0])


def test_what_differs_names_each_runs_key_settings_that_others_do_not_share() -> None:
    a = _run("a", {"lr": 0.001, "epochs": 2}, data={"source": "/photos/cats", "image_size": 96})
    b = _run("b", {"lr": 0.01, "epochs": 5}, data={"source": "/photos/dogs/", "image_size": 96,
                                                   "augment": {"hflip": True}})
    assert what_differs([a, b]) == ["data cats, lr 0.001, epochs 2, +1 more",
                                    "data dogs, lr 0.01, epochs 5, +1 more"]
    assert what_differs([a, a]) == ["", ""], "identical runs: nothing sets them apart"
    assert what_differs([a]) == [""]
