"""A frozen-backbone run is assessed on the test features cached while it trained: the same
evaluation as running every test image through the whole trained model again."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from designer.evaluation import evaluate
from designer.project import workflow
from designer.project.cached_eval import evaluate_run
from designer.project.data_config import DataConfig, prepare_data
from designer.project.run_model import run_design
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.feature_cache import CachedSplit
from designer.training.options import TrainingOptions


def _trained(colour_images: Path, tmp_path: Path, seed: int = 0):  # type: ignore[no-untyped-def]
    design = open_model("resnet18", "none", input_size=32)
    data = prepare_data(DataConfig(source=str(colour_images), image_size=32, seed=seed),
                        design.info.preprocessing)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    options = TrainingOptions(epochs=2, lr=1e-2, batch_size=8, seed=seed, device="cpu")
    run = train_design(design, data, options, runs_root=tmp_path / "runs")
    return run, data


def test_cached_evaluation_equals_evaluation_through_the_whole_model(
        colour_images: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used = []

    def spy(model, dataset, cached, **kwargs):  # type: ignore[no-untyped-def]
        used.append(cached)
        return evaluate_run(model, dataset, cached, **kwargs)

    monkeypatch.setattr(workflow, "evaluate_run", spy)
    run, data = _trained(colour_images, tmp_path)
    assert used and used[0] is not None  # the evaluation ran on the cached test features
    assert len(used[0].labels) == len(data.datasets["test"])
    assert run.summary is not None and run.summary.feature_cache == "memory"
    assert run.evaluation is not None and run.evaluation.split == "test"
    saved = run.evaluation.result()
    model = run_design(run.run_dir, "best").build()
    full = evaluate(model, data.datasets["test"], batch_size=8, classes=data.classes,
                    device="cpu")
    assert len(saved.predictions) == len(full.predictions) == len(data.datasets["test"])
    for got, want in zip(saved.predictions, full.predictions, strict=True):
        assert (got.index, got.path, got.true, got.predicted) == \
            (want.index, want.path, want.true, want.predicted)
        assert got.confidence == pytest.approx(want.confidence, abs=1e-5)
    assert saved.accuracy == full.accuracy
    assert saved.confusion == full.confusion


def test_features_that_do_not_fit_the_split_fall_back_to_the_whole_model(
        colour_images: Path, tmp_path: Path) -> None:
    """Cached features of another length are never paired with the wrong images."""
    run, data = _trained(colour_images, tmp_path)
    model = run_design(run.run_dir, "best").build()
    test = data.datasets["test"]

    rows = len(test) + 1  # type: ignore[arg-type]
    wrong = CachedSplit(torch.fx.symbolic_trace(torch.nn.Identity()), [torch.zeros(rows, 3)],
                        torch.zeros(rows, dtype=torch.long))
    got = evaluate_run(model, test, wrong, batch_size=8, classes=data.classes)
    want = evaluate(model, test, batch_size=8, classes=data.classes, device="cpu")
    assert [p.predicted for p in got.predictions] == [p.predicted for p in want.predictions]
