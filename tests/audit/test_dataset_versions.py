"""Relabel / exclude / review make a new dataset version; the image files never change."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from designer.data import generated_dataset
from designer.project.data_config import DataConfig, prepare_data, record_edits, undo_edits
from designer.project.dataset_versions import (
    DatasetEdits,
    DatasetVersionError,
    DatasetVersions,
)
from designer.project.run_compare import config_diff
from designer.project.runs import RunRecord
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _labels(data_manifest) -> dict[str, str]:
    return {e.path: data_manifest.classes[e.label] for e in data_manifest.entries}


def test_relabel_retrain_records_the_version_and_undo_restores(tmp_path: Path) -> None:
    folder = generated_dataset(tmp_path / "data", classes=3, per_class=12, size=32)
    before = _digests(folder)
    project = tmp_path / "project"
    design = open_model("squeezenet1_1", input_size=32)
    config = DataConfig(source=str(folder), image_size=32, seed=0)
    data = prepare_data(config, design.info.preprocessing, check_health=False)
    design.replace_head(len(data.classes), class_names=data.classes)
    circles = [e.path for e in data.manifest.entries if data.classes[e.label] == "circle"]
    moved, dropped = circles[0], circles[1]

    edits = DatasetEdits().relabel([moved], "square").exclude([dropped]).review([circles[2]])
    edited = record_edits(config, edits, data.manifest, project, note="audit")
    assert edited.dataset_version == 1 and edited.edits == edits
    new_data = prepare_data(edited, design.info.preprocessing, check_health=False)
    labels = _labels(new_data.manifest)
    assert labels[moved] == "square" and dropped not in labels
    assert len(new_data.manifest.entries) == len(data.manifest.entries) - 1
    saved = DatasetVersions(project).load(1)
    assert saved.parent is None and saved.edits == edits
    assert _labels(saved.manifest) == labels, "the version file holds the split it trains on"

    options = TrainingOptions(epochs=1, batch_size=16, num_workers=0, seed=0)
    runs = project / "runs"
    first = train_design(design, data, options, runs_root=runs, measure_latency=False)
    second = train_design(design, new_data, options, runs_root=runs, measure_latency=False)
    assert second.data["dataset_version"] == 1
    assert second.data["edits"]["relabelled"] == {moved: "square"}
    manifest = json.loads((second.run_dir / "manifest.json").read_text(encoding="utf-8"))
    trained = {path: label for path, label, _split in manifest["entries"]}
    assert data.classes[trained[moved]] == "square" and dropped not in trained
    diff = dict(config_diff([RunRecord.load(first.run_dir), RunRecord.load(second.run_dir)]))
    assert diff["data.dataset_version"] == ["(not set)", "1"]

    more = record_edits(edited, edits.relabel([circles[3]], "square"), new_data.manifest, project)
    assert more.dataset_version == 2
    assert undo_edits(more, project) == edited
    restored = undo_edits(edited, project)
    assert restored == config
    back = prepare_data(restored, design.info.preprocessing, check_health=False)
    assert _labels(back.manifest) == _labels(data.manifest)
    assert _digests(folder) == before, "the user's image folder must stay byte-for-byte the same"


def test_version_files_are_data_and_paths_stay_inside(tmp_path: Path) -> None:
    with pytest.raises(DatasetVersionError):
        DatasetEdits.from_dict({"excluded": ["../../etc/passwd"]})
    with pytest.raises(DatasetVersionError):
        DatasetEdits.from_dict({"relabelled": {"/abs/cat.png": "dog"}})
    with pytest.raises(DatasetVersionError):
        DataConfig.from_dict({"edits": {"reviewed": ["a/../../b.png"]}})
    versions = DatasetVersions(tmp_path)
    (tmp_path / "dataset-versions").mkdir()
    (tmp_path / "dataset-versions" / "v0001.json").write_text('{"format": "x"}', encoding="utf-8")
    with pytest.raises(DatasetVersionError, match="not a NetDesigner dataset version"):
        versions.load(1)
    config = DataConfig(edits=DatasetEdits().relabel(["a/b.png"], "cat"), dataset_version=3)
    assert DataConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert DataConfig.from_dict(DataConfig().to_dict()) == replace(DataConfig())
    assert "edits" not in DataConfig().to_dict(), "old settings stay as they were"
