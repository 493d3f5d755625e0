"""k-fold cross-validation: folds partition train+val and leave test alone; K real runs; the
summary's mean ± std are those of the runs' own records; the CLI prints the table."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path

import pytest

from designer.cli import main
from designer.data import scan, split_scan
from designer.project.data_config import DataConfig, prepare_data
from designer.project.kfold import (
    KFoldError,
    fold_manifests,
    load_summaries,
    train_folds,
)
from designer.project.runs import list_runs
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions


def _manifest(colour_images: Path, seed: int = 0):  # type: ignore[no-untyped-def]
    return split_scan(scan(colour_images), (0.6, 0.2, 0.2), seed=seed)


def test_folds_partition_train_and_val_and_leave_test_alone(colour_images: Path) -> None:
    manifest = _manifest(colour_images)
    pool = {e.path: e.label for e in manifest.entries if e.split != "test"}
    test = [e for e in manifest.entries if e.split == "test"]
    folds = fold_manifests(manifest, 4)
    assert len(folds) == 4
    seen_in_val: Counter[str] = Counter()
    for fold in folds:
        assert [e for e in fold.entries if e.split == "test"] == test
        assert {e.path: e.label for e in fold.entries if e.split != "test"} == pool
        seen_in_val.update(e.path for e in fold.entries if e.split == "val")
    assert seen_in_val == Counter(dict.fromkeys(pool, 1)), "each image validates exactly once"


def test_folds_are_stratified_and_reproducible(colour_images: Path) -> None:
    manifest = _manifest(colour_images)
    folds = fold_manifests(manifest, 3)
    pool = Counter(e.label for e in manifest.entries if e.split != "test")
    for fold in folds:
        per_class = Counter(e.label for e in fold.entries if e.split == "val")
        for label, total in pool.items():
            assert abs(per_class[label] - total / 3) < 1, (label, per_class)
    assert [f.to_dict() for f in fold_manifests(manifest, 3)] == [f.to_dict() for f in folds]
    other = fold_manifests(manifest, 3, seed=1)
    assert [f.to_dict()["entries"] for f in other] != [f.to_dict()["entries"] for f in folds]


def test_fold_count_is_checked(colour_images: Path) -> None:
    manifest = _manifest(colour_images)
    for k in (1, 0, True, 2.5, 21):
        with pytest.raises(KFoldError, match="number of folds"):
            fold_manifests(manifest, k)  # type: ignore[arg-type]


def _small_design(classes: list[str]):  # type: ignore[no-untyped-def]
    design = open_model("mobilenet_v3_small", "none", input_size=32)
    design.replace_head(len(classes), class_names=classes)
    design.freeze_backbone()
    return design


def test_three_folds_train_three_runs_and_summarise_their_records(tmp_path: Path) -> None:
    config = DataConfig(image_size=32, cap=12)  # the generated shapes sample
    pre = open_model("mobilenet_v3_small", "none", input_size=32).info.preprocessing
    data = prepare_data(config, pre, check_health=False)
    design = _small_design(data.classes)
    options = TrainingOptions(epochs=1, batch_size=16, mixed_precision="off", num_workers=0)
    started: list[str] = []
    summary = train_folds(design, data, options, 3, runs_root=tmp_path / "runs", name="tiny",
                          fold_started=lambda i, k, n: started.append(n))

    runs = list_runs(tmp_path / "runs")
    assert [r.name for r in runs] == ["tiny fold 1/3", "tiny fold 2/3", "tiny fold 3/3"] == started
    assert all(r.status == "completed" and r.history.validations for r in runs)
    # the frozen backbone ran over the images once: the later folds read its features back
    reasons = [json.loads((r.run_dir / "summary.json").read_text())["feature_cache_reason"]
               for r in runs]
    assert ["no backbone pass" in reason for reason in reasons] == [False, True, True], reasons
    assert summary.complete and [f.run for f in summary.folds] == [r.run_dir.name for r in runs]
    val = [r.final_val_acc for r in runs if r.final_val_acc is not None]
    loss = [float(r.history.validations[-1]["val_loss"]) for r in runs]
    test = [r.evaluation.accuracy for r in runs if r.evaluation is not None
            and r.evaluation.split == "test" and r.evaluation.accuracy is not None]
    assert len(test) == len(val) == 3
    metrics = summary.metrics
    for key, values in (("final_val_acc", val), ("val_loss", loss), ("test_acc", test)):
        assert metrics[key].mean == pytest.approx(statistics.fmean(values))
        assert metrics[key].std == pytest.approx(statistics.stdev(values))
    # saved as data, read back equal
    saved = load_summaries(tmp_path / "runs")
    assert len(saved) == 1 and saved[0].to_dict() == summary.to_dict()
    assert "val accuracy (final)" in summary.table() and "±" in summary.table()


def test_cli_prints_the_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       colour_images: Path) -> None:
    args = ["train", "--model", "mobilenet_v3_small", "--weights", "none", "--data",
            str(colour_images), "--image-size", "32", "--epochs", "1", "--batch-size", "16",
            "--folds", "2", "--out", str(tmp_path / "runs")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 of 2 folds" in out and "val accuracy (final)" in out and "test accuracy" in out
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["k"] == 2 and len(data["folds"]) == 2 and data["metrics"]["val_loss"]["n"] == 2
    assert len(list_runs(tmp_path / "runs")) == 4


def test_cli_refuses_one_fold(capsys: pytest.CaptureFixture[str], colour_images: Path) -> None:
    assert main(["train", "--model", "mobilenet_v3_small", "--weights", "none", "--data",
                 str(colour_images), "--folds", "1"]) == 1
    assert "number of folds" in capsys.readouterr().err


def test_a_saved_summary_is_data_and_a_damaged_one_is_skipped(tmp_path: Path) -> None:
    good = {"name": "m", "k": 2, "seed": 0, "created": 1.0, "complete": True,
            "folds": [{"fold": 1, "run": "20261128-a", "status": "completed",
                       "metrics": {"final_val_acc": 0.5, "__import__": 1}},
                      {"fold": 2, "run": "20261128-b", "status": "completed",
                       "metrics": {"final_val_acc": 0.7}},
                      {"fold": 3, "run": "20261128-c", "status": "stopped",
                       "metrics": {"final_val_acc": 0.1}}]}
    escaping = json.loads(json.dumps(good))
    escaping["folds"][0]["run"] = "../../elsewhere"
    (tmp_path / "kfold-1.json").write_text(json.dumps(good))
    (tmp_path / "kfold-2.json").write_text(json.dumps(escaping))
    (tmp_path / "kfold-3.json").write_text("[1, 2")
    (saved,) = load_summaries(tmp_path)
    assert [f.run for f in saved.folds] == ["20261128-a", "20261128-b", "20261128-c"]
    assert set(saved.folds[0].metrics) == {"final_val_acc"}, "unknown keys are dropped"
    spread = saved.metrics["final_val_acc"]  # over the completed folds: a stopped one is not
    assert "fold 3: stopped, not counted" in saved.table()
    assert spread.mean == pytest.approx(0.6) and spread.std == pytest.approx(statistics.stdev([0.5, 0.7]))
